"""Checkers for the Augmented SBERT notebook: which new pairs go to the cross-encoder, and
how its silver labels join the gold ones.

>>> check_pairs_to_label(my_pairs)   # my_pairs(first, second, labelled, top_k) -> [(i, j), ...]
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._core import Wrong, call, exercise, short

__all__ = ["check_pairs_to_label", "check_gold_plus_silver"]

NOTEBOOK = "06_augmented_sbert"  # the stem of the Augmented SBERT notebook


def _cosines(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    a = first / np.linalg.norm(first, axis=1, keepdims=True)
    b = second / np.linalg.norm(second, axis=1, keepdims=True)
    return a @ b.T


def _reference(scores: np.ndarray, labelled: set, top_k: int) -> set[tuple[int, int]]:
    chosen = set()
    for i, row in enumerate(scores):
        picked = [int(j) for j in np.argsort(-row) if (i, int(j)) not in labelled][:top_k]
        chosen.update((i, j) for j in picked)
    return chosen


def _cases() -> list[tuple[np.ndarray, np.ndarray, set, int]]:
    rng = np.random.default_rng(7)
    first = rng.normal(size=(4, 6))
    second = rng.normal(size=(5, 6))
    second[[0, 3]] *= 10.0  # long vectors: large dot products, ordinary cosines
    labelled = {(0, 1), (1, 2), (2, 0), (3, 4)}  # the gold pairs
    big_first, big_second = rng.normal(size=(30, 16)), rng.normal(size=(40, 16))
    big_labelled = {(i, int(j)) for i, j in enumerate(rng.integers(0, 40, size=30))}
    return [
        (first, second, labelled, 2),
        (big_first, big_second, big_labelled, 3),
        (big_first, big_second, set(), 1),
    ]


def _as_pairs(value: object) -> list[tuple[int, int]]:
    if value is None:
        raise Wrong("your function returned None: did you forget `return`?")
    try:
        pairs = [(int(i), int(j)) for i, j in value]  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise Wrong(f"return a list of (i, j) index pairs; you returned {short(value)}.") from None
    return pairs


@exercise(NOTEBOOK, "pairs to label")
def check_pairs_to_label(fn: Callable) -> str:
    """Check ``fn(first, second, labelled, top_k) -> [(i, j), ...]``.

    ``first`` (n, d) and ``second`` (m, d) are embeddings of the gold sentences; ``labelled``
    the set of (i, j) pairs gold already labels. For each i, the answer holds the ``top_k``
    most similar j (cosine) whose pair is not labelled yet.
    """
    for first, second, labelled, top_k in _cases():
        n, m = len(first), len(second)
        on = f"for {n} first and {m} second sentences, top_k={top_k}"
        got = _as_pairs(call(fn, first.copy(), second.copy(), set(labelled), top_k, on=on))
        scores = _cosines(first, second)
        want = _reference(scores, labelled, top_k)
        if set(got) == want and len(got) == len(want):
            continue
        if len(set(got)) < len(got):
            twice = next(p for p in got if got.count(p) > 1)
            raise Wrong(f"{on}, the pair {twice} is listed twice: each pair needs labelling once.")
        bad = [(i, j) for i, j in got if not (0 <= i < n and 0 <= j < m)]
        if bad:
            raise Wrong(f"{on}, {bad[0]} is not a pair of indices (i < {n}, j < {m}).")
        again = [p for p in got if p in labelled]
        if again:
            raise Wrong(
                f"{on}, the pair {again[0]} is already labelled (gold): send only new pairs "
                "to the cross-encoder."
            )
        for i in range(n):
            mine = sorted(j for a, j in got if a == i)
            right = sorted(j for a, j in want if a == i)
            if mine == right:
                continue
            if len(mine) != len(right):
                raise Wrong(
                    f"{on}, first sentence {i} gets {len(mine)} pairs; it should get top_k = {top_k}."
                )
            dots = first @ second.T
            if set(got) == _reference(dots, labelled, top_k):
                raise Wrong(
                    f"{on}, you ranked by dot product: rank by cosine (normalise the embeddings)."
                )
            extra = next(j for j in mine if j not in right)
            missing = next(j for j in right if j not in mine)
            raise Wrong(
                f"{on}, first sentence {i} should pair with second sentence {missing} "
                f"(cosine {scores[i, missing]:.3f}), not {extra} ({scores[i, extra]:.3f}): take "
                "the most similar sentences that are not labelled yet."
            )
    return (
        "Right in 3 cases: for each sentence, its most similar partners that gold does not label "
        "yet. Similar pairs are far likelier to be positives than random ones, so the silver "
        "set is not all negatives."
    )


_GOLD = [
    ("A man is playing a guitar.", "A man plays music.", 1.0),
    ("A man is playing a guitar.", "The man is asleep.", 0.0),
    ("Two kids build a sandcastle.", "Children are at the beach.", 1.0),
]
_SILVER = [
    ("A man is playing a guitar.", "Children are at the beach.", 0.0),
    ("A man is playing a guitar.", "The man is asleep.", 1.0),  # repeats a gold pair
    ("Two kids build a sandcastle.", "A man plays music.", 0.0),
    ("Two kids build a sandcastle.", "A man plays music.", 0.0),  # repeats itself
    ("Two kids build a sandcastle.", "The kids are playing.", 1.0),
]


def _rows(value: object) -> list[tuple[str, str, float]]:
    if value is None:
        raise Wrong("your function returned None: did you forget `return`?")
    names = getattr(value, "column_names", None)
    if names is not None:
        if not {"sentence1", "sentence2", "score"} <= set(names):
            raise Wrong(
                f"name the Dataset's columns sentence1, sentence2, score; yours has {names}."
            )
        value = list(zip(value["sentence1"], value["sentence2"], value["score"]))
    try:
        return [(str(a), str(b), float(score)) for a, b, score in value]  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise Wrong(
            f"return (sentence1, sentence2, score) rows; you returned {short(value)}."
        ) from None


@exercise(NOTEBOOK, "gold plus silver")
def check_gold_plus_silver(fn: Callable) -> str:
    """Check ``fn(gold, silver) -> rows``: gold, then the silver pairs gold does not already have.

    ``gold`` and ``silver`` are lists of (sentence1, sentence2, score); a pair that appears
    twice is kept once, with gold's score when gold has it.
    """
    got = _rows(call(fn, list(_GOLD), list(_SILVER), on="on 3 gold and 5 silver rows"))
    pairs = [(a, b) for a, b, _ in got]
    twice = next((p for p in pairs if pairs.count(p) > 1), None)
    if twice is not None:
        raise Wrong(
            f"the pair {short(twice)} appears {pairs.count(twice)} times: drop a silver pair "
            "that repeats a pair already present (in gold or earlier in silver)."
        )
    scores = {(a, b): score for a, b, score in got}
    for a, b, score in _GOLD:
        if (a, b) not in scores:
            raise Wrong(f"the gold pair {short((a, b))} is missing: keep every gold row.")
        if scores[(a, b)] != score:
            raise Wrong(
                f"the pair {short((a, b))} has gold score {score} but you kept "
                f"{scores[(a, b)]}: where both have a pair, keep gold's label, which people gave."
            )
    for a, b, _ in _SILVER:
        if (a, b) not in scores:
            raise Wrong(f"the new silver pair {short((a, b))} is missing: keep every new pair.")
    extra = [p for p in pairs if p not in {(a, b) for a, b, _ in _GOLD + _SILVER}]
    if extra:
        raise Wrong(f"the pair {short(extra[0])} is in neither gold nor silver.")
    return (
        f"{len(got)} rows: all of gold, and each new silver pair once. The bi-encoder then "
        "trains on both with CosineSimilarityLoss, as el.methods.augmentation.gold_plus_silver does."
    )
