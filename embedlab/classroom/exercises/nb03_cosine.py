"""Checkers for notebook 03: NLI labels as similarity targets, CosineSimilarityLoss, CoSENTLoss.

>>> check_similarity_target(lambda label: 1.0 if label == 0 else 0.0)
✅ similarity target: passed. ...
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from sentence_transformers.sentence_transformer.losses import CoSENTLoss, CosineSimilarityLoss

from ...data import NLI_LABELS
from ._core import Wrong, as_number, call, check_loss, close, exercise

__all__ = ["check_similarity_target", "check_cosine_similarity_loss", "check_cosent_loss"]

NOTEBOOK = "03_cosine_similarity_loss"
_TARGETS = {0: 1.0, 1: 0.0, 2: 0.0}  # the book's mapping: entailment similar, the rest not


@exercise(NOTEBOOK)
def check_similarity_target(fn: Callable) -> str:
    """Check ``fn(label) -> float``: the CosineSimilarityLoss target of an NLI label."""
    for label, want in _TARGETS.items():
        name = NLI_LABELS[label]
        got = as_number(call(fn, label, on=f"for label {label} ({name})"), "your function")
        if not close(got, want):
            hint = f"label {label} ({name}) should give {want}, you gave {got:g}."
            if label == 0:
                hint += " An entailed hypothesis says the same as its premise: the pair is similar."
            elif got > 0:
                hint += " The book's mapping is all or nothing: only entailment counts as similar."
            raise Wrong(hint)
    return (
        "Entailment 1.0, neutral and contradiction 0.0, as el.cosine_pairs does. Apply it with "
        "dataset.map(lambda row: {'score': similarity_target(row['label'])})."
    )


def _pairs(seed: int, b: int, d: int, *, graded: bool) -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(seed)
    u, v = torch.randn(b, d, generator=generator), torch.randn(b, d, generator=generator)
    if graded:  # STS-like scores in steps of 0.2, with ties
        targets = torch.randint(0, 6, (b,), generator=generator).float() / 5
    else:
        targets = torch.randint(0, 2, (b,), generator=generator).float()
    return u, v, targets


def _case(seed: int, b: int, d: int, *, graded: bool, **kwargs: float) -> tuple:
    scale = f" with scale={kwargs['scale']:g}" if "scale" in kwargs else ""
    targets = "graded" if graded else "0/1"
    description = f"on {b} random pairs of {d}-number embeddings, {targets} targets{scale},"
    return _pairs(seed, b, d, graded=graded), kwargs, description


def _cosine_reference(u, v, targets):
    return CosineSimilarityLoss(None).compute_loss_from_embeddings([u, v], targets)


def _cosine_variants(u, v, targets):
    cos = torch.nn.functional.cosine_similarity(u, v)
    return [
        ((cos - targets).abs().mean(), "Square the errors: the loss is the mean *squared* error."),
        (
            ((cos - targets) ** 2).sum(),
            "Average the squared errors over the pairs (mean, not sum).",
        ),
        (
            ((cos - targets) ** 2).mean().sqrt(),
            "No square root: the loss is the mean squared error itself.",
        ),
        (
            (((u * v).sum(1)) - targets).pow(2).mean(),
            "Use the cosine of u and v, not their dot product.",
        ),
    ]


@exercise(NOTEBOOK)
def check_cosine_similarity_loss(fn: Callable) -> str:
    """Check ``fn(u, v, targets) -> loss``: the mean squared error between cos(u, v) and targets."""
    cases = [_case(5, 4, 8, graded=False), _case(6, 16, 32, graded=True)]
    check_loss(fn, cases, _cosine_reference, _cosine_variants)
    return (
        "Matches sentence-transformers' CosineSimilarityLoss (MSE between cos(u, v) and the "
        "target) on 0/1 and graded targets, and gradients flow back to the embeddings."
    )


def _cosent_reference(u, v, targets, scale=20.0):
    return CoSENTLoss(None, scale=scale).compute_loss_from_embeddings([u, v], targets)


def _cosent_variants(u, v, targets, scale=20.0):
    cos = torch.nn.functional.cosine_similarity(u, v) * scale
    diff = cos[None, :] - cos[:, None]  # diff[i, j] = cos_j - cos_i
    later = targets[:, None] > targets[None, :]  # target_i > target_j
    ties = targets[:, None] >= targets[None, :]
    ties = ties & ~torch.eye(len(targets), dtype=torch.bool)
    unscaled = torch.nn.functional.cosine_similarity(u, v)
    return [
        (
            torch.logsumexp(torch.cat([torch.zeros(1, dtype=u.dtype), -diff[later]]), 0),
            "The sign is flipped: penalise cos_j − cos_i when target_i > target_j (pair j should score lower).",
        ),
        (
            torch.logsumexp(diff[later], 0),
            "Add a zero to the terms: the loss is log(1 + Σ exp(...)), which is never negative.",
        ),
        (
            torch.logsumexp(torch.cat([torch.zeros(1, dtype=u.dtype), diff[ties]]), 0),
            "Pairs with equal targets must not be compared: use target_i > target_j, not >=.",
        ),
        (
            torch.logsumexp(
                torch.cat(
                    [torch.zeros(1, dtype=u.dtype), (unscaled[None, :] - unscaled[:, None])[later]]
                ),
                0,
            ),
            "Multiply the cosines by scale before taking differences.",
        ),
        (_cosent_reference(u, v, targets, 20.0), "Use the scale argument rather than a fixed 20."),
    ]


@exercise(NOTEBOOK, "CoSENT loss")
def check_cosent_loss(fn: Callable) -> str:
    """Check ``fn(u, v, targets, scale=20.0) -> loss``: CoSENT's log(1 + Σ exp(s·(cos_j − cos_i)))."""
    cases = [
        _case(7, 4, 8, graded=True, scale=20.0),
        _case(8, 16, 32, graded=True, scale=20.0),
        _case(9, 6, 8, graded=False, scale=5.0),
    ]
    check_loss(fn, cases, _cosent_reference, _cosent_variants)
    return (
        "Matches sentence-transformers' CoSENTLoss at scale 20 and 5, with tied targets, and "
        "gradients flow. Only the order of the cosines matters to it, as to Spearman."
    )
