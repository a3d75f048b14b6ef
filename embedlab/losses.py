"""The chapter's losses by name, so notebooks and widgets can choose one with a string.

>>> loss = make_loss("mnr", model)           # MultipleNegativesRankingLoss(model)
>>> loss = make_loss("mnr", model, gather_across_devices=True)   # several GPUs: more negatives
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

import torch
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer import losses as st_losses
from torch import nn

from .errors import InputError
from .profiles import device_name

__all__ = ["mnr_loss_for_batch", "LOSSES", "LOSS_COLUMNS", "IN_BATCH_NEGATIVE_LOSSES", "make_loss"]


def _softmax(model: SentenceTransformer) -> nn.Module:
    return st_losses.SoftmaxLoss(model, model.get_embedding_dimension(), num_labels=3)


def _gist(
    model: SentenceTransformer, guide: SentenceTransformer | None = None, **options: Any
) -> nn.Module:
    """GISTEmbed: MNR whose guide model (default all-MiniLM-L6-v2) vetoes false negatives."""
    if guide is None:
        from .models import load_pretrained_model

        guide = load_pretrained_model(max_seq_length=model.max_seq_length, device=str(model.device))
    return st_losses.GISTEmbedLoss(model, guide, **options)


LOSSES: dict[str, Callable[..., nn.Module]] = {
    "softmax": _softmax,  # (u, v, |u-v|) -> 3 NLI labels; the original SBERT loss
    "cosine": st_losses.CosineSimilarityLoss,  # regress cos(u, v) onto a 0-1 score
    "cosent": st_losses.CoSENTLoss,  # rank pairs by score; uses graded labels better
    "angle": st_losses.AnglELoss,  # CoSENT on angle differences
    "mnr": st_losses.MultipleNegativesRankingLoss,  # in-batch negatives (InfoNCE)
    "cached-mnr": st_losses.CachedMultipleNegativesRankingLoss,  # MNR with big batches, less memory
    "gist": _gist,  # MNR that skips in-batch negatives a guide model finds too similar
}

# Columns (in order) each loss expects in its training dataset.
LOSS_COLUMNS: dict[str, tuple[str, ...]] = {
    "softmax": ("sentence1", "sentence2", "label"),
    "cosine": ("sentence1", "sentence2", "score"),
    "cosent": ("sentence1", "sentence2", "score"),
    "angle": ("sentence1", "sentence2", "score"),
    "mnr": ("anchor", "positive"),
    "cached-mnr": ("anchor", "positive"),
    "gist": ("anchor", "positive"),
}

# Losses that use the rest of the batch as negatives: they want no duplicate texts in a batch
# and, on several devices, gather the other devices' embeddings as more negatives. The other
# losses score each pair on its own, so there is nothing to gather.
IN_BATCH_NEGATIVE_LOSSES = ("mnr", "cached-mnr", "gist")


# numeric options of the losses above that must be numbers > 0
_POSITIVE_OPTIONS = frozenset({"scale", "temperature", "mini_batch_size"})


def make_loss(
    name: str,
    model: SentenceTransformer,
    *,
    seed: int = 42,
    gather_across_devices: bool = False,
    **options: Any,
) -> nn.Module:
    """Build the loss called ``name`` (see :data:`LOSSES`) for ``model``.

    Losses with weights of their own (SoftmaxLoss's classifier) are initialised from
    ``seed``, so the same call gives the same loss whatever ran before it.

    Args:
        name: a key of :data:`LOSSES`.
        model: the model the loss trains.
        seed: seed for the loss's own weights.
        gather_across_devices: in data-parallel training, let the in-batch-negative losses
            (:data:`IN_BATCH_NEGATIVE_LOSSES`) use every device's batch as negatives; the
            other losses ignore it.
        options: more keyword arguments for the loss, e.g. ``mini_batch_size`` for
            ``"cached-mnr"`` or ``guide`` for ``"gist"``.
    """
    key = name.strip().lower() if isinstance(name, str) else None
    if key not in LOSSES:
        what = repr(name) if isinstance(name, str) else f"{type(name).__name__} {name!r:.40}"
        raise InputError(
            f"unknown loss {what}; give one loss name as text, one of {sorted(LOSSES)}, "
            "e.g. make_loss('mnr', model)"
        )
    if not isinstance(model, SentenceTransformer):
        raise InputError(
            f"make_loss({key!r}, model) needs a SentenceTransformer model, not a "
            f"{type(model).__name__} ({str(model)[:40]!r}); load one first, e.g. "
            "el.load_base_model(profile)"
        )
    for option in _POSITIVE_OPTIONS.intersection(options):
        value = options[option]
        number = isinstance(value, numbers.Real) and not isinstance(value, bool)
        if not number or not math.isfinite(value) or not value > 0:
            raise InputError(
                f"loss option {option}={value!r} must be a number > 0 and finite "
                f"(e.g. scale=20.0 for MNR, mini_batch_size=32 for cached MNR)"
            )
    if gather_across_devices and key in IN_BATCH_NEGATIVE_LOSSES:
        options["gather_across_devices"] = True
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        try:
            return LOSSES[key](model, **options)
        except TypeError as error:
            if "unexpected keyword argument" not in str(error):
                raise
            raise InputError(
                f"loss {key!r} does not take option(s) {sorted(options)}: {error}"
            ) from None


# MNR's memory grows with the batch: on a GPU, batches above this many triplets of a
# bert-base-sized model go through CachedMultipleNegativesRankingLoss, which computes the
# same loss and gradients in mini-batches of 32 (a batch of 256 needs about 16-20 GB as plain
# MNR, more than a 15 GB T4). On a CPU, memory is not the limit: plain MNR.
LARGEST_PLAIN_MNR_BATCH = 64


def mnr_loss_for_batch(batch_size: int, device: str | None = None) -> str:
    """``"mnr"``, or ``"cached-mnr"`` for a batch too big for plain MNR on a GPU.

    >>> mnr_loss_for_batch(256, "cuda"), mnr_loss_for_batch(256, "cpu")
    ('cached-mnr', 'mnr')
    """
    on_gpu = (device or device_name()) == "cuda"
    return "cached-mnr" if on_gpu and batch_size > LARGEST_PLAIN_MNR_BATCH else "mnr"
