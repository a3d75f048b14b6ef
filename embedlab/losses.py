"""The chapter's losses by name, so notebooks and widgets can choose one with a string.

>>> loss = make_loss("mnr", model)           # MultipleNegativesRankingLoss(model)
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer import losses as st_losses
from torch import nn

from .errors import InputError

__all__ = ["LOSSES", "LOSS_COLUMNS", "make_loss"]


def _softmax(model: SentenceTransformer) -> nn.Module:
    return st_losses.SoftmaxLoss(model, model.get_embedding_dimension(), num_labels=3)


LOSSES: dict[str, Callable[[SentenceTransformer], nn.Module]] = {
    "softmax": _softmax,  # (u, v, |u-v|) -> 3 NLI labels; the original SBERT loss
    "cosine": st_losses.CosineSimilarityLoss,  # regress cos(u, v) onto a 0-1 score
    "cosent": st_losses.CoSENTLoss,  # rank pairs by score; uses graded labels better
    "angle": st_losses.AnglELoss,  # CoSENT on angle differences
    "mnr": st_losses.MultipleNegativesRankingLoss,  # in-batch negatives (InfoNCE)
    "cached-mnr": st_losses.CachedMultipleNegativesRankingLoss,  # MNR with big batches, less memory
}

# Columns (in order) each loss expects in its training dataset.
LOSS_COLUMNS: dict[str, tuple[str, ...]] = {
    "softmax": ("sentence1", "sentence2", "label"),
    "cosine": ("sentence1", "sentence2", "score"),
    "cosent": ("sentence1", "sentence2", "score"),
    "angle": ("sentence1", "sentence2", "score"),
    "mnr": ("anchor", "positive"),
    "cached-mnr": ("anchor", "positive"),
}


def make_loss(name: str, model: SentenceTransformer, *, seed: int = 42) -> nn.Module:
    """Build the loss called ``name`` (see :data:`LOSSES`) for ``model``.

    Losses with weights of their own (SoftmaxLoss's classifier) are initialised from
    ``seed``, so the same call gives the same loss whatever ran before it.
    """
    key = name.strip().lower() if isinstance(name, str) else name
    if key not in LOSSES:
        raise InputError(f"unknown loss {name!r}; choose one of {sorted(LOSSES)}")
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return LOSSES[key](model)
