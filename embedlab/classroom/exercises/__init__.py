"""Exercises that check themselves: one checker per exercise at the end of each notebook.

A learner writes the answer in the notebook's skeleton cell and calls the checker on it::

    def cosine(u, v):
        ...  # your code here

    el.exercises.check_cosine(cosine)   # ✏️ not attempted yet / ❌ not yet + hint / ✅ passed

Every checker returns a :class:`CheckResult` (``passed``, ``message``, ``verdict``) and never
raises on a wrong answer. :data:`EXERCISES` lists the checkers of each notebook; the worked
answers are in ``notebooks/solutions/``.

Adding an exercise: write ``check_<name>(answer) -> success message`` in the notebook's module
(``nbNN_<topic>.py``), decorate it with ``@exercise("NN_<notebook stem>")`` and raise
:class:`Wrong` with a hint for each way the answer can be wrong. Every ``nbNN_*`` module of
this folder is imported here and its checkers exported: a new notebook's module needs no
line in this file.
"""

from __future__ import annotations

import importlib
import pkgutil

from ._core import EXERCISES, CheckResult, NotAttempted, Wrong, exercise, is_placeholder

_MODULES = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("nb"))
for _name in _MODULES:  # importing a module registers its checkers in EXERCISES
    _module = importlib.import_module(f"{__name__}.{_name}")
    globals().update({check: getattr(_module, check) for check in _module.__all__})

__all__ = [
    "EXERCISES",
    "CheckResult",
    "NotAttempted",
    "Wrong",
    "exercise",
    "is_placeholder",
    *(check for checks in EXERCISES.values() for check in checks),
]
