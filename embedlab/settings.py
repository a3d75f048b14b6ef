"""One check for every training setting, whichever door it comes in by.

A profile's ``with_changes``, a knob panel and the command line's options all call
:func:`check_setting`, so ``batch_size=0`` or ``learning_rate=10`` is the
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

__all__ = [
    "WHOLE_SETTINGS",
    "WHOLE_MAXIMA",
    "as_number",
    "as_whole",
    "check_setting",
    "check_overrides",
    "check_profile",
    "check_seq_length",
    "name_problem",
    "profile_scale",
    "NAME_LIMIT",
]

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
# setting -> the largest value allowed (NumPy seeds are 32-bit; the rest keep far below what
# torch and itertools can index, so a typo such as batch_size=10**20 is refused up front)
WHOLE_MAXIMA: dict[str, int] = {
    "seed": 2**32 - 1,
    "batch_size": 65_536,
    "max_seq_length": 8_192,  # no base model here has more positions; see check_seq_length
}
_LARGEST = 2**31 - 1  # any other whole setting
_LEARNING_RATE_HINT = "for example 2e-5 for a pretrained model or 1e-4 for the quick base"
_TEXT_SETTINGS = ("base_model", "pretrained_model")  # a profile's model names
# a name in the ledger and in a model's folder name, <notebook>--<recipe>--<profile>--seed<n>:
# three of them made safe (each up to 9 characters longer), the seed and a save's hidden
# ".<folder>.partial-<pid>" stay within a file name's 255 bytes
NAME_LIMIT = 60
_STANDIN_SUFFIX = "-standin"  # a profile's ledger name when the stand-in replaced its base
STANDIN_BASE = "standin"  # embedlab.profiles.STANDIN (profiles imports this module)
_PROFILE_FIELDS = ("name", "base_model", "n_train", "epochs", "batch_size", "seed")


def as_number(name: str, value: Any) -> float:
    """``value`` as a float if it is a real number (NumPy's too); else :class:`InputError`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(f"{name} must be a number, got {value!r} ({type(value).__name__})")
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        raise InputError(f"{name} must be a finite number, got {value!r}")
    return number


def as_whole(name: str, value: Any, minimum: int = 1, maximum: int | None = None) -> int:
    """``value`` as an int if it is a whole number from ``minimum`` to ``maximum``; else
    :class:`InputError`.

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
    if maximum is not None and number > maximum:
        raise InputError(
            f"{name}={int(number)} is too large; use a whole number from {minimum} to "
            f"{maximum:,}" + (" (2**32 - 1)" if maximum == 2**32 - 1 else "")
        )
    return int(number)


def check_setting(name: str, value: Any) -> Any:
    """``value`` checked (and normalised: NumPy -> Python) for training setting ``name``.

    Settings that are not training numbers (``name``, ``base_model``...) pass unchanged.
    """
    if name in WHOLE_SETTINGS:
        return as_whole(name, value, WHOLE_SETTINGS[name], WHOLE_MAXIMA.get(name, _LARGEST))
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
        return as_whole("max_steps", value, 1, _LARGEST)
    if name == "name":
        return _profile_name(value)
    if name in _TEXT_SETTINGS and not (isinstance(value, str) and value.strip()):
        raise InputError(
            f"{name} must be a model name (text such as 'bert-base-uncased'), got {value!r}"
        )
    if name == "train_splits":
        return _train_splits(value)
    return value


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def name_problem(field: str, value: Any, *, limit: int | None = NAME_LIMIT) -> str | None:
    """Why ``value`` cannot be the name ``field`` (a notebook, recipe or profile name, which
    the ledger records and a model's folder is named after); ``None`` if it can.

    The ledger's schema (:mod:`embedlab.training.ledger_schema`) checks its records' names
    with this function, so a name is refused up front by the rule its record is written
    under. Names longer than ``limit`` characters are refused too (``None``: any length).
    """
    if not (isinstance(value, str) and value.strip()):
        return f"{field!r} must be a non-empty string, got {_shown(value)}"
    if limit is not None and len(value) > limit:
        return (
            f"{field!r} is {len(value)} characters long; a name may have at most {limit} "
            f"(it becomes part of the saved model's folder name), got {_shown(value)}"
        )
    return None


def _profile_name(value: Any) -> str:
    """A profile's name, checked by the ledger's own rule for its ``profile`` field (with
    room for the ``-standin`` a run on the stand-in base adds, see ``recorded_profile``)."""
    problem = name_problem("profile", value, limit=NAME_LIMIT - len(_STANDIN_SUFFIX))
    if problem:
        raise InputError(
            f"profile name: {problem}; a profile's name is recorded with each run and names "
            "its models' folders, e.g. with_changes(name='colab')"
        )
    return value


def _train_splits(value: Any) -> tuple[str, ...]:
    """``train_splits`` as a tuple of ``"name/split"`` texts."""
    if isinstance(value, str) or not isinstance(value, list | tuple) or not value:
        raise InputError(
            f"train_splits must be a tuple of 'name/split' texts such as ('mnli/train',), "
            f"got {value!r}"
        )
    odd = [split for split in value if not isinstance(split, str) or "/" not in split]
    if odd:
        raise InputError(
            f"train_splits entry {odd[0]!r} is not a 'name/split' text such as 'snli/train'"
        )
    return tuple(value)


def check_profile(profile: Any, where: str) -> Any:
    """``profile`` if it is a :class:`~embedlab.profiles.Profile` (it has a profile's
    settings); else an :class:`InputError` saying that ``where`` takes one (a name such as
    ``"quick"`` is not one)."""
    if not isinstance(profile, str) and all(hasattr(profile, key) for key in _PROFILE_FIELDS):
        return profile
    hint = f"el.get_profile({profile!r})" if isinstance(profile, str) else "el.get_profile('quick')"
    raise InputError(
        f"{where} needs a Profile, not {type(profile).__name__} {_shown(profile)}; "
        f"pass {hint} (or el.profiles.QUICK, el.profiles.FULL)"
    )


def profile_scale(profile: Any) -> str:
    """``"quick"`` or ``"full"``: whose knob bounds and recipe settings ``profile`` takes.

    The rule: a profile named ``quick`` or ``full`` takes its own; a profile of any other
    name (``QUICK.with_changes(name="colab")``) takes those of the built-in profile with its
    base model: the quick profile's for embedlab's stand-in base (a CPU-sized model), the
    full profile's for a Hub model. So a rename never gives the CPU base GPU-sized bounds.
    """
    if profile.name in ("quick", "full"):
        return profile.name
    return "quick" if profile.base_model == STANDIN_BASE else "full"


def check_seq_length(max_seq_length: int, positions: int | None, model_name: str) -> None:
    """Refuse a ``max_seq_length`` longer than the model's ``positions`` (its
    ``max_position_embeddings``): a longer sentence would fail deep inside training."""
    if positions and max_seq_length > positions:
        raise InputError(
            f"max_seq_length={max_seq_length} is more than the {positions} token positions of "
            f"{model_name}; use at most {positions}, e.g. profile.with_changes("
            f"max_seq_length={min(positions, 128)})"
        )


def check_overrides(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Settings given for one run (the command line's ``max_steps``, ``batch_size``) checked;
    ``None`` values dropped (= the profile's)."""
    return {key: check_setting(key, value) for key, value in overrides.items() if value is not None}
