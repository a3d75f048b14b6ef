"""One check for every training setting, whichever door it comes in by.

A profile's ``with_changes``, a knob panel, the command line and :func:`embedlab.training.run.run_recipe`'s
overrides all call :func:`check_setting`, so ``batch_size=0`` or ``learning_rate=10`` is the
same clear :class:`~embedlab.errors.InputError` everywhere, and NumPy numbers count as numbers.

>>> check_setting("epochs", np.int64(2))
2
>>> check_setting("learning_rate", 10)      # InputError: out of range
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

from .errors import InputError

__all__ = ["WHOLE_SETTINGS", "as_number", "as_whole", "check_setting", "check_overrides"]

# setting -> the smallest value allowed; each must be a whole number
WHOLE_SETTINGS: dict[str, int] = {
    "n_train": 1,
    "epochs": 1,
    "batch_size": 1,
    "max_seq_length": 1,
    "eval_steps": 1,
    "umap_points": 1,
    "warmup_steps": 0,
    "seed": 0,
}
_LEARNING_RATE_HINT = "for example 2e-5 for a pretrained model or 1e-4 for the quick base"


def as_number(name: str, value: Any) -> float:
    """``value`` as a float if it is a real number (NumPy's too); else :class:`InputError`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(f"{name} must be a number, got {value!r} ({type(value).__name__})")
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        raise InputError(f"{name} must be a finite number, got {value!r}")
    return number


def as_whole(name: str, value: Any, minimum: int = 1) -> int:
    """``value`` as an int if it is a whole number >= ``minimum``; else :class:`InputError`.

    NumPy integers and whole floats (``2.0``) count; ``True``, ``1.5`` and ``"3"`` do not.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(
            f"{name} must be a whole number >= {minimum}, got {value!r} ({type(value).__name__})"
        )
    number = as_number(name, value)
    if number != int(number):
        raise InputError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    if number < minimum:
        raise InputError(f"{name}={int(number)} is too small; use a whole number >= {minimum}")
    return int(number)


def check_setting(name: str, value: Any) -> Any:
    """``value`` checked (and normalised: NumPy -> Python) for training setting ``name``.

    Settings that are not training numbers (``name``, ``base_model``...) pass unchanged.
    """
    if name in WHOLE_SETTINGS:
        return as_whole(name, value, WHOLE_SETTINGS[name])
    if name in ("learning_rate", "head_learning_rate"):
        rate = as_number(name, value)
        if not 0 < rate < 1:
            raise InputError(
                f"{name}={value!r} is out of range; use a value in (0, 1), " + _LEARNING_RATE_HINT
            )
        return rate
    if name == "max_steps":
        if value is None or (not isinstance(value, bool) and value == -1):
            return -1  # no limit: the epochs decide
        if isinstance(value, numbers.Real) and not isinstance(value, bool) and value < 1:
            raise InputError(
                f"max_steps={value!r} would train nothing; use a whole number >= 1, "
                "or -1 (or None) to let the epochs decide"
            )
        return as_whole("max_steps", value, 1)
    return value


def check_overrides(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`embedlab.training.run.run_recipe`'s overrides checked; ``None`` values dropped (= the profile's)."""
    return {key: check_setting(key, value) for key, value in overrides.items() if value is not None}
