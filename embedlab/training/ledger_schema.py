"""The one schema of a ledger record: which keys a run's record has, and of which types.

:func:`record_problems` is used on write (a record that breaks the schema is refused) and on
read (a line that breaks it is skipped), so every record a table sees has these types.

>>> record_problems({"recipe": "softmax", "seconds": "fast", ...})
["'seconds' must be a number >= 0, got 'fast'", "missing 'model_path'", ...]
>>> field_problems({"notebook": None})      # only the keys given: checked before a run
["'notebook' must be a non-empty string, got None"]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from numbers import Integral, Real
from typing import Any

from ..settings import NAME_LIMIT, name_problem

__all__ = [
    "NAME_FIELDS",
    "NAME_LIMIT",
    "RECORD_KEYS",
    "REQUIRED_KEYS",
    "field_problems",
    "record_problems",
]

# the names a saved model's folder is named after: checked by settings.name_problem, the rule
# a profile's name is checked by too
NAME_FIELDS = ("notebook", "recipe", "profile")


def _text(value: Any) -> bool:
    return isinstance(value, str)


def _name(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _count(value: Any) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool) and value >= 0


def _amount(value: Any) -> bool:
    return (
        isinstance(value, Real)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    )


def _seed(value: Any) -> bool:
    return value is None or (isinstance(value, Integral) and not isinstance(value, bool))


def _scores(value: Any) -> bool:
    """A dict of score name -> number (``{}`` when a model has no such score)."""
    return isinstance(value, dict) and all(
        isinstance(k, str) and (v is None or (isinstance(v, Real) and not isinstance(v, bool)))
        for k, v in value.items()
    )


# key -> (check, what the check wants, in words)
_REQUIRED = {
    "notebook": (_name, "a non-empty string"),
    "recipe": (_name, "a non-empty string"),
    "profile": (_name, "a non-empty string"),
    "base_model": (_text, "a string"),
    "n_train": (_count, "a whole number >= 0"),
    "seconds": (_amount, "a number >= 0"),
    "peak_memory_mb": (_amount, "a number >= 0"),
    "untrained": (_scores, "a dict of score name -> number"),
    "trained": (_scores, "a dict of score name -> number"),
    "model_path": (_text, "a string ('' when no model was saved)"),
}
_OPTIONAL = {
    "seed": (_seed, "a whole number or null"),
    "time": (_text, "a string"),
    "device": (_text, "a string"),
    "steps": (_count, "a whole number >= 0"),
    "world_size": (_count, "a whole number >= 0"),
    "batch_size": (_count, "a whole number >= 0"),
    "epochs": (_amount, "a number >= 0"),
    "learning_rate": (_amount, "a number >= 0"),
    "untrained_target": (_scores, "a dict of score name -> number"),
    "trained_target": (_scores, "a dict of score name -> number"),
    "load_average": (lambda v: v is None or _amount(v), "a number >= 0 or null"),
    "cores": (lambda v: v is None or _count(v), "a whole number or null"),
}
REQUIRED_KEYS = tuple(_REQUIRED)
RECORD_KEYS = tuple(_REQUIRED | _OPTIONAL)  # every key the schema checks
_JSON_KINDS = {
    type(None): "null",
    bool: "true/false",
    int: "a number",
    float: "a number",
    str: "a string",
    list: "a list",
}


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def field_problems(fields: Mapping[str, Any], *, writing: bool = True) -> list[str]:
    """Why the schema's keys among ``fields`` are invalid, one phrase each; ``[]`` if none.

    Keys absent from ``fields`` are not asked for, so a run checks its names and settings
    before it starts with the very rules its record is written under. With ``writing`` a
    name (:data:`NAME_FIELDS`) must also fit in :data:`NAME_LIMIT` characters (records
    already in a ledger are read whatever their length).
    """
    problems = []
    for key, (check, wanted) in (_REQUIRED | _OPTIONAL).items():
        if key not in fields:
            continue
        if key in NAME_FIELDS:
            problem = name_problem(key, fields[key], limit=NAME_LIMIT if writing else None)
            if problem:
                problems.append(problem)
        elif not check(fields[key]):
            problems.append(f"{key!r} must be {wanted}, got {_shown(fields[key])}")
    return problems


def record_problems(record: Any, *, writing: bool = False) -> list[str]:
    """Why ``record`` is not a valid ledger record, one phrase per problem; ``[]`` if it is.

    Keys beyond the schema's are free (a recipe's own settings or results). ``writing``:
    see :func:`field_problems`.
    """
    if not isinstance(record, dict):
        kind = _JSON_KINDS.get(type(record), type(record).__name__)
        return [f"a record must be a JSON object {{...}}, got {kind}"]
    missing = [key for key in _REQUIRED if key not in record]
    problems = [f"missing {', '.join(repr(k) for k in missing)}"] if missing else []
    return problems + field_problems(record, writing=writing)
