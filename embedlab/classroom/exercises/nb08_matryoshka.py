"""Checkers for notebook 08: truncating a vector, and the Matryoshka loss over MNR.

>>> check_truncate(my_truncate)                # my_truncate(embeddings, dim) -> (n, dim)
>>> check_matryoshka_loss(my_matryoshka_loss)  # (anchors, positives, dims, weights=None)
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from ._core import Wrong, as_tensor, call, check_loss, exercise

__all__ = ["check_truncate", "check_matryoshka_loss"]

NOTEBOOK = "08_matryoshka_embeddings"


@exercise(NOTEBOOK, "truncate a vector")
def check_truncate(fn: Callable) -> str:
    """Check ``fn(embeddings, dim) -> (n, dim)``: the first ``dim`` numbers, length 1 again."""
    generator = torch.Generator().manual_seed(8)
    cases = [
        (torch.randn(1, 8, generator=generator), 4, "one vector of 8 cut to 4"),
        (torch.randn(5, 64, generator=generator) * 3, 16, "5 vectors of 64 cut to 16"),
    ]
    for embeddings, dim, what in cases:
        value = call(fn, embeddings.clone(), dim, on=f"on {what}")
        got = as_tensor(value, (len(embeddings), dim), "your truncate")
        want = F.normalize(embeddings[:, :dim].double(), dim=-1)
        if torch.allclose(got, want, atol=1e-5):
            continue
        if torch.allclose(got, embeddings[:, :dim].double(), atol=1e-5):
            raise Wrong(
                f"on {what} you kept the first {dim} numbers; now divide each row by its length "
                "(torch.nn.functional.normalize) so that a dot product is a cosine again."
            )
        if torch.allclose(got, F.normalize(embeddings.double(), dim=-1)[:, :dim], atol=1e-5):
            raise Wrong(
                f"on {what} you normalised before cutting, so the kept part is shorter than 1: "
                "cut first, then normalise."
            )
        raise Wrong(
            f"on {what} expected the first {dim} numbers of each row, scaled to length 1 "
            "(embeddings[:, :dim], then normalised); the last numbers are the ones to drop."
        )
    return "the first dims numbers of each vector, normalised to length 1"


def _mnr(anchors: torch.Tensor, positives: torch.Tensor, scale: float = 20.0) -> torch.Tensor:
    scores = scale * F.cosine_similarity(anchors[:, None], positives[None], dim=-1)
    return F.cross_entropy(scores, torch.arange(len(anchors)))


def _matryoshka_reference(anchors, positives, dims, weights=None):
    weights = weights or [1] * len(dims)
    return sum(w * _mnr(anchors[:, :d], positives[:, :d]) for d, w in zip(dims, weights))


def _matryoshka_mistakes(anchors, positives, dims, weights=None):
    weights = weights or [1] * len(dims)
    return [
        (
            _matryoshka_reference(anchors, positives, dims, weights) / len(dims),
            "Sum the weighted losses of the dimensions; do not average them.",
        ),
        (
            _mnr(anchors, positives) * sum(weights),
            "Cut the vectors at each dimension before the loss: anchors[:, :d], positives[:, :d].",
        ),
        (
            sum(_mnr(anchors[:, :d], positives[:, :d]) for d in dims),
            "Multiply each dimension's loss by its weight.",
        ),
        (
            sum(
                w * _mnr(anchors[:, -d:], positives[:, -d:])
                for d, w in zip(dims, weights, strict=True)
            ),
            "Keep the *first* d numbers (anchors[:, :d]), not the last.",
        ),
    ]


@exercise(NOTEBOOK, "the Matryoshka loss")
def check_matryoshka_loss(fn: Callable) -> str:
    """Check ``fn(anchors, positives, dims, weights=None)``: the weighted sum of MNR losses."""
    generator = torch.Generator().manual_seed(8)
    a, p = (torch.randn(4, 16, generator=generator) for _ in range(2))
    a8, p8 = (torch.randn(8, 32, generator=generator) for _ in range(2))
    check_loss(
        fn,
        [
            ((a, p), {"dims": [16, 8, 4]}, "on 4 pairs of 16 dimensions, dims [16, 8, 4],"),
            (
                (a8, p8),
                {"dims": [32, 16, 8], "weights": [1.0, 0.5, 2.0]},
                "on 8 pairs of 32 dimensions, dims [32, 16, 8] with weights [1, 0.5, 2],",
            ),
        ],
        _matryoshka_reference,
        _matryoshka_mistakes,
    )
    return "one MNR loss per cut, weighted and summed, as MatryoshkaLoss computes it"
