"""Checkers for notebook 01: cosine similarity, the bi-encoder's all-pairs search, and
contrastive triplets that decide what "similar" means.

>>> check_cosine(lambda u, v: u @ v / (np.linalg.norm(u) * np.linalg.norm(v)))
✅ cosine: passed. ...
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ...toydata import toy_reviews
from ._core import Wrong, as_number, as_triplets, call, close, exercise, short

__all__ = ["check_cosine", "check_most_similar_pair", "check_sentiment_triplets"]

NOTEBOOK = "01_contrastive_intuition"


def _cosine(u: np.ndarray, v: np.ndarray) -> float:
    return float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)))


@exercise(NOTEBOOK)
def check_cosine(fn: Callable) -> str:
    """Check ``fn(u, v) -> float``: the cosine similarity of two 1-D NumPy vectors."""
    rng = np.random.default_rng(1)
    cases = [
        (np.array([1.0, 0.0, 0.0]), np.array([0.0, 2.0, 0.0]), "perpendicular"),
        (np.array([1.0, 2.0, 2.0]), np.array([2.0, 4.0, 4.0]), "parallel"),
        (np.array([3.0, -1.0, 2.0]), np.array([-3.0, 1.0, -2.0]), "opposite"),
        (rng.normal(size=8), rng.normal(size=8), "random"),
        (rng.normal(size=384) * 5, rng.normal(size=384) + 0.5, "random"),
    ]
    for u, v, kind in cases:
        u, v = u.astype(np.float32), v.astype(np.float32)
        readable = (
            f"u = {u.tolist()}, v = {v.tolist()}"
            if u.size <= 3
            else f"two random vectors of {u.size} numbers"
        )
        got = as_number(call(fn, u.copy(), v.copy(), on=f"for {readable}"), "your cosine")
        want = _cosine(u.astype(np.float64), v.astype(np.float64))
        if close(got, want):
            continue
        hint = f"for {readable} the cosine is {want:.4f}, yours is {got:.4f}."
        dot = float(u.astype(np.float64) @ v.astype(np.float64))
        if close(got, dot):
            hint += " That is the dot product: divide it by the lengths of both vectors (np.linalg.norm)."
        elif close(got, 1 - want):
            hint += " That is the cosine *distance* 1 − cos; return the similarity itself."
        elif close(got, want * np.linalg.norm(v)) or close(got, want * np.linalg.norm(u)):
            hint += " Divide by the lengths of *both* vectors."
        elif kind in ("parallel", "opposite"):
            hint += f" Vectors pointing the {'same' if kind == 'parallel' else 'opposite'} way have cosine {want:.0f} whatever their lengths."
        raise Wrong(hint)
    return (
        "Right on 5 pairs: perpendicular (0), parallel (1), opposite (−1) and random vectors. "
        "sentence_transformers.util.cos_sim does the same for whole matrices at once."
    )


def _pair_cosines(embeddings: np.ndarray) -> np.ndarray:
    unit = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    return unit @ unit.T


def _pair(value: object) -> tuple[int, int]:
    if value is None:
        raise Wrong("your function returned None: did you forget `return`?")
    try:
        i, j = (int(x) for x in value)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise Wrong(
            f"return the pair as two row numbers (i, j); you returned {short(value)}."
        ) from None
    return i, j


@exercise(NOTEBOOK)
def check_most_similar_pair(fn: Callable) -> str:
    """Check ``fn(embeddings) -> (i, j)``: the two different rows with the highest cosine."""
    rng = np.random.default_rng(2)
    small = rng.normal(size=(6, 5))
    small[[0, 2, 5]] *= 10.0  # long vectors: the largest dot products, not the largest cosines
    small[4] = small[1] * 0.5 + rng.normal(scale=0.05, size=5)  # rows 1 and 4 point the same way
    large = rng.normal(size=(100, 32))
    for embeddings in (small, large):
        n = len(embeddings)
        got = _pair(call(fn, embeddings.astype(np.float32), on=f"for {n} embeddings"))
        cos = _pair_cosines(embeddings)
        np.fill_diagonal(cos, -np.inf)
        want = tuple(int(x) for x in np.unravel_index(np.argmax(cos), cos.shape))
        if sorted(got) == sorted(want):
            continue
        i, j = got
        if not (0 <= i < n and 0 <= j < n):
            raise Wrong(
                f"({i}, {j}) is not a pair of rows: there are {n} rows, numbered 0 to {n - 1}."
            )
        if i == j:
            raise Wrong(
                f"you returned ({i}, {i}): every sentence is most similar to itself. Leave out "
                "i == j, e.g. set the diagonal of the similarity matrix to -inf."
            )
        hint = (
            f"for {n} embeddings the most similar pair is {tuple(sorted(want))} "
            f"(cosine {cos[want]:.3f}); yours, ({i}, {j}), has cosine {cos[i, j]:.3f}."
        )
        dots = embeddings @ embeddings.T
        np.fill_diagonal(dots, -np.inf)
        if sorted(got) == sorted(np.unravel_index(np.argmax(dots), dots.shape)):
            hint += " You ranked by dot product: normalise each row to length 1 first."
        raise Wrong(hint)
    return (
        "Right for 6 and for 100 embeddings. Normalise once, one matrix product gives all "
        "n² cosines: n encodings where a cross-encoder would need n(n−1)/2 forward passes."
    )


@exercise(NOTEBOOK)
def check_sentiment_triplets(fn: Callable) -> str:
    """Check ``fn(reviews) -> [(anchor, positive, negative), ...]`` on ``embedlab.toydata.toy_reviews()``.

    Each review must be an anchor at least once; its positive shares its sentiment but not its
    topic, its negative shares its topic but not its sentiment.
    """
    reviews = toy_reviews()
    labels = {text: (topic, sentiment) for text, topic, sentiment in reviews}
    triplets = as_triplets(call(fn, list(reviews), on="on toy_reviews()"))
    for anchor, positive, negative in triplets:
        for role, text in (("anchor", anchor), ("positive", positive), ("negative", negative)):
            if text not in labels:
                raise Wrong(f"the {role} {short(text)} is not one of the reviews.")
        (a_topic, a_sent), (p_topic, p_sent), (n_topic, n_sent) = (
            labels[anchor],
            labels[positive],
            labels[negative],
        )
        if p_sent != a_sent:
            raise Wrong(
                f"the positive for {short(anchor)} ({a_sent}) is {p_sent}: a positive must share "
                "the anchor's sentiment."
            )
        if p_topic == a_topic:
            raise Wrong(
                f"the positive for {short(anchor)} is about the same topic ({a_topic}): pick one "
                "about another topic, so that only the sentiment makes them similar."
            )
        if n_sent == a_sent:
            raise Wrong(
                f"the negative for {short(anchor)} is also {a_sent}: a negative must have the "
                "other sentiment."
            )
        if n_topic != a_topic:
            raise Wrong(
                f"the negative for {short(anchor)} ({a_topic}) is about {n_topic}: pick one about "
                "the same topic, so that the topic cannot tell positive from negative."
            )
    missing = [text for text in labels if text not in {a for a, _, _ in triplets}]
    if missing:
        raise Wrong(
            f"{len(missing)} reviews never appear as an anchor, e.g. {short(missing[0])}: give "
            "every review at least one triplet."
        )
    return (
        f"{len(triplets)} triplets, every review an anchor: positives share only the sentiment, "
        "negatives only the topic. Trained on them (TripletLoss or MNR), a model can only "
        "succeed by learning sentiment."
    )
