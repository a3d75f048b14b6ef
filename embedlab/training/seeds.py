"""Several seeds per comparison: a mean, its spread, and a verdict that respects the spread.

One training run is one draw: another seed (another initialisation of the loss's head,
another order of batches, other random negatives) gives another score. A gap between two
recipes means something only when it is larger than the scatter of each. The suite trains
every recipe it compares under :data:`SEEDS` and reads the results back from the ledger. The
first seed is trained live; the others come from the reference ledger
(:mod:`embedlab.training.reference`) unless this runs folder holds them too.

>>> live_seeds("cosine", "quick")                # (42,): the others are in the reference
>>> a = seed_spread("cosine", "quick")          # Spread of the trained STS-B Spearman
>>> str(a)                                       # '0.512 ± 0.004 (3 seeds: 0.508-0.517)'
>>> a.origin           # 'seed 42 trained here; seeds 43, 44 from the reference ledger'
>>> verdict({"cosine": a, "softmax": seed_spread("softmax", "quick")})
"""

from __future__ import annotations

import math
import numbers
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..errors import InputError
from .ledger import read_ledger
from .reference import all_seeds_live, reference_records

__all__ = ["SEEDS", "Spread", "spread", "live_seeds", "seed_records", "seed_spread", "verdict"]

SEEDS: tuple[int, ...] = (42, 43, 44)  # the profile's seed first, then two more


@dataclass(frozen=True)
class Spread:
    """Scores of one recipe over several seeds."""

    values: tuple[float, ...]
    # where each value came from, by seed: "live" (this runs folder) or "reference"
    sources: tuple[tuple[int, str], ...] = ()

    @property
    def origin(self) -> str:
        """Which seeds were trained here and which come from the reference ledger."""
        if not self.sources:
            return f"{len(self.values)} values"
        parts = []
        for kind, words in (("live", "trained here"), ("reference", "from the reference ledger")):
            seeds = [str(seed) for seed, source in self.sources if source == kind]
            if seeds:
                parts.append(f"seed{'s' if len(seeds) > 1 else ''} {', '.join(seeds)} {words}")
        return "; ".join(parts)

    def per_seed(self) -> str:
        """One line per seed: its value and where it came from."""
        if not self.sources:
            return "\n".join(f"{value:.3f}" for value in self.values)
        words = {"live": "trained here", "reference": "reference ledger"}
        return "\n".join(
            f"seed {seed}: {value:.3f} ({words.get(source, source)})"
            for (seed, source), value in zip(self.sources, self.values)
        )

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
    """A :class:`Spread` of ``values`` (at least one finite number)."""
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise InputError(f"a spread needs a list of scores, not {type(values).__name__}")
    values = tuple(values)
    for i, value in enumerate(values):
        number = isinstance(value, numbers.Real) and not isinstance(value, bool)
        if not number or not math.isfinite(value):
            raise InputError(
                f"score {i} of the spread is {value!r}, not a finite number; a NaN score "
                "usually means a run that diverged or an evaluation set of equal scores. "
                "Leave it out, or train that seed again"
            )
    if not values:
        raise InputError("a spread needs at least one score")
    return Spread(tuple(float(v) for v in values))


def live_seeds(recipe: str, profile: str) -> tuple[int, ...]:
    """The seeds of ``recipe`` to train now: the first of :data:`SEEDS` when the reference
    ledger holds the others, else all of them (``EMBEDLAB_ALL_SEEDS=1``, or a profile with no
    reference, such as the full one)."""
    if all_seeds_live():
        return SEEDS
    held = reference_records(recipe, profile)
    return SEEDS[:1] if all(seed in held for seed in SEEDS[1:]) else SEEDS


def seed_records(
    recipe: str,
    profile: str,
    *,
    notebook: str | None = None,
    seeds: Sequence[int] = SEEDS,
    reference: bool = True,
) -> dict[int, dict]:
    """The newest ledger record of ``recipe`` for each of ``seeds`` that has one; a seed this
    runs folder has not trained comes from the reference ledger (unless ``reference=False``).
    Each record carries ``"source"``: ``"live"`` or ``"reference"``."""
    found: dict[int, dict] = {}
    for record in read_ledger():
        if record.get("recipe") != recipe or record.get("profile") != profile:
            continue
        if notebook is not None and record.get("notebook") != notebook:
            continue
        seed = record.get("seed")
        if isinstance(seed, int) and seed in seeds:
            found[seed] = {**record, "source": "live"}  # later records replace earlier ones
    if reference:
        stored = reference_records(recipe, profile, notebook=notebook)
        for seed in seeds:
            if seed not in found and seed in stored:
                found[seed] = {**stored[seed], "source": "reference"}
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
    found = [
        (seed, r[field][key], r["source"])
        for seed, r in sorted(records.items())
        if isinstance(r.get(field), dict) and r[field].get(key) is not None  # null: was NaN
    ]
    if not found:
        raise InputError(
            f"the ledger has no {profile!r} run of {recipe!r} with seed in {list(seeds)}; "
            "train it first (its notebook, or el.training.run_book_recipe)"
        )
    values = spread([value for _, value, _ in found]).values
    return Spread(values, tuple((seed, source) for seed, _, source in found))


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
