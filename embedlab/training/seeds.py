"""Several seeds per comparison: a mean, its spread, and a verdict that respects the spread.

One training run is one draw: another seed (another initialisation of the loss's head,
another order of batches, other random negatives) gives another score. A gap between two
recipes means something only when it is larger than the scatter of each. The suite trains
every recipe it compares under :data:`SEEDS` and reads the results back from the ledger.

>>> a = seed_spread("cosine", "quick")          # Spread of the trained STS-B Spearman
>>> str(a)                                       # '0.512 ± 0.004 (3 seeds: 0.508-0.517)'
>>> verdict({"cosine": a, "softmax": seed_spread("softmax", "quick")})
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..errors import InputError
from .ledger import read_ledger

__all__ = ["SEEDS", "Spread", "spread", "seed_records", "seed_spread", "verdict"]

SEEDS: tuple[int, ...] = (42, 43, 44)  # the profile's seed first, then two more


@dataclass(frozen=True)
class Spread:
    """Scores of one recipe over several seeds."""

    values: tuple[float, ...]

    @property
    def mean(self) -> float:
        return statistics.fmean(self.values)

    @property
    def std(self) -> float:
        """Sample standard deviation (0 for a single value)."""
        return statistics.stdev(self.values) if len(self.values) > 1 else 0.0

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)

    def __str__(self) -> str:
        n = len(self.values)
        return (
            f"{self.mean:.3f} ± {self.std:.3f} ({n} seed{'s' if n != 1 else ''}: "
            f"{self.low:.3f}-{self.high:.3f})"
        )


def spread(values: Sequence[float]) -> Spread:
    """A :class:`Spread` of ``values`` (at least one number)."""
    values = tuple(float(v) for v in values)
    if not values:
        raise InputError("a spread needs at least one score")
    return Spread(values)


def seed_records(
    recipe: str, profile: str, *, notebook: str | None = None, seeds: Sequence[int] = SEEDS
) -> dict[int, dict]:
    """The newest ledger record of ``recipe`` for each of ``seeds`` that has one."""
    found: dict[int, dict] = {}
    for record in read_ledger():
        if record.get("recipe") != recipe or record.get("profile") != profile:
            continue
        if notebook is not None and record.get("notebook") != notebook:
            continue
        seed = record.get("seed")
        if isinstance(seed, int) and seed in seeds:
            found[seed] = record  # later records replace earlier ones
    return found


def seed_spread(
    recipe: str,
    profile: str,
    *,
    field: str = "trained",
    key: str = "spearman_cosine",
    notebook: str | None = None,
    seeds: Sequence[int] = SEEDS,
) -> Spread:
    """The :class:`Spread` of ``record[field][key]`` over the seeds the ledger holds.

    ``field`` is ``"trained"``, ``"untrained"``, ``"trained_target"``, ... Raises
    :class:`InputError` when no seed of ``recipe`` is recorded.
    """
    records = seed_records(recipe, profile, notebook=notebook, seeds=seeds)
    values = [
        r[field][key]
        for _, r in sorted(records.items())
        if isinstance(r.get(field), dict) and key in r[field]
    ]
    if not values:
        raise InputError(
            f"the ledger has no {profile!r} run of {recipe!r} with seed in {list(seeds)}; "
            "train it first (its notebook, or el.training.run_book_recipe)"
        )
    return spread(values)


def verdict(arms: Mapping[str, Spread]) -> str:
    """Arms ordered by mean, joined by ">" where the gap is real and "≈" where it is not.

    A gap is called real when the two arms' ranges (lowest to highest seed) do not overlap;
    otherwise the two are "no different" at this number of seeds.

    >>> verdict({"mnr": spread([0.60, 0.61, 0.62]), "cosine": spread([0.50, 0.51, 0.52])})
    'mnr > cosine'
    """
    if not arms:
        raise InputError("verdict needs at least one arm")
    ordered = sorted(arms.items(), key=lambda item: item[1].mean, reverse=True)
    text = ordered[0][0]
    for (_, upper), (name, lower) in zip(ordered, ordered[1:]):
        text += (" > " if lower.high < upper.low else " ≈ ") + name
    return text
