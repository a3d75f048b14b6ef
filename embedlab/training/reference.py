"""The reference ledger: the seeds of a comparison that a notebook does not train live.

A gap between two recipes means something only beside the scatter of several seeds
(:mod:`embedlab.training.seeds`), but a learner need not wait for every seed. A notebook
trains the first seed of each recipe live and reads the other seeds from the *reference
ledger*: run records in the ledger's own schema, shipped with embedlab as
``embedlab/reference/<profile>.jsonl`` and made by one command that runs the notebooks with
every seed live (``python benchmarks/make_reference.py``). Each record also says where it
was made (machine, PyTorch threads, library versions).

The live seed keeps the reference honest: :func:`check_live` compares it with the reference's
record of the same recipe and seed, and a notebook prints that comparison in a checked cell,
so a reference made with other settings or other libraries fails the notebook's test with a
message that names the command which remakes it.

``EMBEDLAB_ALL_SEEDS=1`` trains every seed of a notebook's own recipes live instead (a
recipe taught in another notebook is still read from the runs folder or the reference); a
profile with no reference file (the full profile on a GPU) always trains every seed.

>>> reference_records("softmax", "quick")        # {42: {...}, 43: {...}, 44: {...}}
>>> print(check_live(result.record))             # the live seed against its reference
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

from .ledger import REFERENCE_DIR_ENV, read_ledger, reference_path
from .ledger import SHIPPED_REFERENCE_DIR as SHIPPED_DIR

__all__ = [
    "ALL_SEEDS_ENV",
    "REFERENCE_DIR_ENV",
    "REMAKE_COMMAND",
    "SHIPPED_DIR",
    "TOLERANCE",
    "ReferenceCheck",
    "all_seeds_live",
    "reference_path",
    "read_reference",
    "reference_records",
    "check_live",
]

ALL_SEEDS_ENV = "EMBEDLAB_ALL_SEEDS"  # "1": train every seed live, read none from the reference
REMAKE_COMMAND = "python benchmarks/make_reference.py"
# Largest difference allowed between a live seed and its reference record, in Spearman.
# Measured: the same seed at 1 and 2 PyTorch threads, and on an AMD EPYC against an Intel
# Xeon, gives the same score to four decimals (README, "The reference ledger").
TOLERANCE = 0.002
# the second evaluation's scores that are compared: its ranking scores, which a notebook
# prints (a threshold found by a search can jump between neighbouring pairs)
TARGET_KEYS = ("spearman_cosine", "cosine_ap", "cosine_ndcg@10")
CLASSIFIER_KEYS = ("accuracy", "roc_auc")  # a cross-encoder's record (notebook 06's teacher)
_TRUTHY = {"1", "true", "yes", "on"}


def all_seeds_live() -> bool:
    """True when ``EMBEDLAB_ALL_SEEDS`` asks for every seed to be trained live."""
    return os.environ.get(ALL_SEEDS_ENV, "").strip().lower() in _TRUTHY


def read_reference(profile: str) -> list[dict[str, Any]]:
    """Every record of ``profile``'s reference ledger."""
    return read_ledger(path=reference_path(profile))


def reference_records(
    recipe: str, profile: str, *, notebook: str | None = None
) -> dict[int, dict[str, Any]]:
    """The reference's record of ``recipe`` for each seed it holds."""
    found: dict[int, dict[str, Any]] = {}
    for record in read_reference(profile):
        if record.get("recipe") != recipe or record.get("profile") != profile:
            continue
        if notebook is not None and record.get("notebook") != notebook:
            continue
        if isinstance(record.get("seed"), int):
            found[record["seed"]] = record
    return found


@dataclass(frozen=True)
class ReferenceCheck:
    """A live run compared with its reference record; ``str()`` is the sentence to print."""

    ok: bool
    message: str

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        return self.message


def _compared(record: dict[str, Any]) -> dict[str, float]:
    """The numbers of a record that a reference must reproduce."""
    numbers = {}
    trained = (record.get("trained") or {}).get("spearman_cosine")
    if isinstance(trained, int | float):
        numbers["trained spearman_cosine"] = float(trained)
    for key, value in (record.get("trained_target") or {}).items():  # a second evaluation
        if key in TARGET_KEYS and isinstance(value, int | float) and not isinstance(value, bool):
            numbers[f"trained_target {key}"] = float(value)
    for key in CLASSIFIER_KEYS:  # a cross-encoder: its held-back classification
        value = record.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            numbers[key] = float(value)
    return numbers


def check_live(record: dict[str, Any], *, tolerance: float = TOLERANCE) -> ReferenceCheck:
    """Compare a live run's ledger record with the reference's record of its recipe and seed.

    The scores (``trained`` Spearman, the :data:`TARGET_KEYS` of ``trained_target`` and a
    cross-encoder's :data:`CLASSIFIER_KEYS`) must agree within ``tolerance``, and the
    training set and step count exactly. With no reference record to
    compare (another profile, or ``EMBEDLAB_ALL_SEEDS``) the check passes and says so.
    """
    recipe, profile, seed = record.get("recipe"), record.get("profile"), record.get("seed")
    name = f"{recipe} seed {seed}"
    if all_seeds_live():
        return ReferenceCheck(True, f"{name}: every seed is live ({ALL_SEEDS_ENV}=1)")
    stored = reference_records(str(recipe), str(profile)).get(seed)
    if stored is None:
        return ReferenceCheck(
            True, f"{name}: the {profile} reference ledger has no record of it (nothing to compare)"
        )
    problems = []
    for field in ("n_train", "steps"):
        if record.get(field) != stored.get(field):
            problems.append(
                f"{field} {record.get(field)} live, {stored.get(field)} in the reference"
            )
    live, expected = _compared(record), _compared(stored)
    for key, value in expected.items():
        got = live.get(key)
        if got is None or not math.isfinite(got) or abs(got - value) > tolerance:
            shown = "missing" if got is None else f"{got:.4f}"
            problems.append(f"{key} {shown} live, {value:.4f} in the reference")
    if not problems:
        return ReferenceCheck(
            True, f"{name}: the live run agrees with the reference ledger (within {tolerance})"
        )
    return ReferenceCheck(
        False,
        f"{name}: the live run differs from the reference ledger ({'; '.join(problems)}). "
        "If you changed a setting above, that is expected: the other seeds come from the "
        f"notebook's own settings. Otherwise the reference is stale: remake it with "
        f"`{REMAKE_COMMAND}` and commit embedlab/reference/.",
    )
