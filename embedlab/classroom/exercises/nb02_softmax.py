"""Checkers for notebook 02: the NLI labels, mean pooling, and SoftmaxLoss's features.

>>> check_nli_label_mapping({0: "entailment", 1: "neutral", 2: "contradiction"})
✅ nli label mapping: passed. ...
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from sentence_transformers.sentence_transformer.modules import Pooling

from ...data import NLI_LABELS
from ._core import NotAttempted, Wrong, as_tensor, call, exercise, plain_text, short

__all__ = ["check_nli_label_mapping", "check_mean_pooling", "check_softmax_features"]

NOTEBOOK = "02_softmax_loss"


@exercise(NOTEBOOK, "NLI label mapping")
def check_nli_label_mapping(mapping: Any) -> str:
    """Check a dict from MNLI's label numbers to their names (entailment, neutral, contradiction)."""
    if not isinstance(mapping, Mapping):
        raise Wrong(
            f"expected a dict from label number to name, like {{0: 'entailment', ...}}; "
            f"got a {type(mapping).__name__}."
        )
    if mapping and all(value is Ellipsis for value in mapping.values()):
        raise NotAttempted(
            "Fill in the three names in place of the `...`, then run the cell again."
        )
    names = set(NLI_LABELS.values())
    if any(isinstance(key, str) and plain_text(key).strip().lower() in names for key in mapping):
        raise Wrong(
            "you mapped names to numbers; map numbers to names instead: {0: 'entailment', ...}."
        )
    if any(isinstance(key, str) for key in mapping):
        raise Wrong("use the numbers 0, 1 and 2 as keys, not strings like '0'.")
    for label, name in NLI_LABELS.items():
        if label not in mapping:
            raise Wrong(f"label {label} is missing: the dict needs the keys 0, 1 and 2.")
        given = mapping[label]
        if given is Ellipsis:
            raise Wrong(f"label {label} is still `...`: write its name.")
        if not isinstance(given, str):
            raise Wrong(f"label {label} should map to a name (a string), you gave {short(given)}.")
        if plain_text(given).strip().lower() != name:
            raise Wrong(f"label {label} should map to {name!r}, you gave {given!r}.")
    extra = [key for key in mapping if key not in NLI_LABELS]
    if extra:
        raise Wrong(f"MNLI has the labels 0, 1 and 2 only; remove {short(extra)}.")
    return (
        "0 entailment, 1 neutral, 2 contradiction: the GLUE MNLI convention (el.data.NLI_LABELS). "
        "Datasets differ, so always look: dataset.features['label'].names on the Hub's copies."
    )


def _mean_pooling(tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The library's own mean pooling (what model[1] does with pooling_mode='mean')."""
    pooling = Pooling(tokens.shape[-1], pooling_mode="mean")
    features = {"token_embeddings": tokens, "attention_mask": mask}
    return pooling(features)["sentence_embedding"]


def _pooling_cases() -> list[tuple[torch.Tensor, torch.Tensor]]:
    generator = torch.Generator().manual_seed(3)
    small = torch.arange(24, dtype=torch.float32).reshape(2, 4, 3)
    small_mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0]])
    tokens = torch.randn(5, 9, 16, generator=generator)
    lengths = torch.tensor([9, 1, 4, 7, 2])
    mask = (torch.arange(9)[None, :] < lengths[:, None]).long()
    return [(small, small_mask), (tokens, mask)]


@exercise(NOTEBOOK)
def check_mean_pooling(fn: Callable) -> str:
    """Check ``fn(token_embeddings, attention_mask) -> sentence_embeddings``.

    ``token_embeddings`` has shape (batch, tokens, dim), ``attention_mask`` (batch, tokens)
    with 1 for real tokens and 0 for padding; the answer has shape (batch, dim).
    """
    for tokens, mask in _pooling_cases():
        b, t, d = tokens.shape
        shape = f"({b}, {t}, {d})"
        value = call(fn, tokens.clone(), mask.clone(), on=f"on token embeddings of shape {shape}")
        if value is not None and hasattr(value, "shape") and tuple(value.shape) == (b, t):
            raise Wrong(
                f"your result has shape {(b, t)}: average over the tokens (dim=1), not over the {d} numbers."
            )
        got = as_tensor(value, (b, d), "your pooling")
        want = _mean_pooling(tokens, mask).double()
        if torch.allclose(got, want, atol=1e-4, rtol=1e-4):
            continue
        row = int((got - want).abs().amax(dim=1).argmax())
        hint = (
            f"in a batch of shape {shape}, sentence {row} has {int(mask[row].sum())} real tokens of {t}; "
            f"its mean starts {want[row, :3].numpy().round(3).tolist()}, yours "
            f"{got[row, :3].numpy().round(3).tolist()}."
        )
        m = mask.unsqueeze(-1).double()
        x = tokens.double()
        variants = [
            (
                x.mean(dim=1),
                " You averaged the padding too: multiply by the mask, then divide by each sentence's number of real tokens.",
            ),
            (
                (x * m).sum(dim=1),
                " That is the sum: divide by each sentence's number of real tokens (mask.sum(dim=1)).",
            ),
            (
                (x * m).sum(dim=1) / t,
                f" You divided by all {t} positions; divide by each sentence's own number of real tokens.",
            ),
            (
                x[:, 0],
                " That is the first token ([CLS] pooling); mean pooling averages all real tokens.",
            ),
        ]
        for variant, why in variants:
            if torch.allclose(got, variant, atol=1e-4, rtol=1e-4):
                hint += why
                break
        raise Wrong(hint)
    return (
        "Matches the library's mean pooling (Pooling with pooling_mode='mean', model[1]) with "
        "and without padding. Try it on model[0]'s output and compare with model.encode."
    )


@exercise(NOTEBOOK)
def check_softmax_features(fn: Callable) -> str:
    """Check ``fn(u, v) -> features``: SoftmaxLoss's (u, v, |u − v|), shape (batch, 3 · dim)."""
    generator = torch.Generator().manual_seed(4)
    for b, d in ((2, 3), (8, 128)):
        u, v = torch.randn(b, d, generator=generator), torch.randn(b, d, generator=generator)
        value = call(fn, u.clone(), v.clone(), on=f"for u and v of shape ({b}, {d})")
        shape = tuple(getattr(value, "shape", ()))
        if shape == (b, 2 * d):
            raise Wrong(
                f"your features have shape {shape}, 2 × {d} numbers per pair: add the third part, |u − v|."
            )
        if shape == (b, 4 * d):
            raise Wrong(
                f"your features have 4 × {d} numbers per pair: the default is (u, v, |u − v|); "
                "u * v is an optional fourth part (concatenation_sent_multiplication)."
            )
        if shape == (3 * b, d) or shape == (3, b, d):
            raise Wrong(
                f"your features have shape {shape}: concatenate along the feature dimension (dim=1)."
            )
        got = as_tensor(value, (b, 3 * d), "your features")
        u64, v64 = u.double(), v.double()
        want = torch.cat([u64, v64, (u64 - v64).abs()], dim=1)
        if torch.allclose(got, want, atol=1e-5):
            continue
        hint = f"for u and v of shape ({b}, {d}) the features are wrong."
        if torch.allclose(got, torch.cat([u64, v64, u64 - v64], dim=1), atol=1e-5):
            hint += " Take the absolute value |u − v|, so that the difference does not depend on which sentence comes first."
        elif torch.allclose(got, torch.cat([u64, v64, v64 - u64], dim=1), atol=1e-5):
            hint += " The third part is the absolute value |u − v|."
        elif torch.allclose(got.sort(dim=1).values, want.sort(dim=1).values, atol=1e-5):
            hint += " The parts are right but in the wrong order: u first, then v, then |u − v|."
        else:
            part = next(
                i
                for i in range(3)
                if not torch.allclose(
                    got[:, i * d : (i + 1) * d], want[:, i * d : (i + 1) * d], atol=1e-5
                )
            )
            hint += f" The first wrong part is number {part + 1} of (u, v, |u − v|)."
        raise Wrong(hint)
    return (
        "(u, v, |u − v|) along dim=1: exactly what SoftmaxLoss's classifier reads "
        "(3 × 128 = 384 numbers for the stand-in, 3 × 768 for bert-base)."
    )
