"""Checkers for notebook 09: a static model's sentence vector, and binary quantisation.

>>> check_static_encode(my_static_encode)      # my_static_encode(table, token_ids) -> tensor
>>> check_binary_quantize(my_binary_quantize)  # my_binary_quantize(embeddings) -> uint8 array
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from ._core import Wrong, as_tensor, call, exercise, short

__all__ = ["check_static_encode", "check_binary_quantize"]

NOTEBOOK = "09_static_embeddings"  # the stem of the static-embeddings notebook


def _bag_means(table: torch.Tensor, token_ids: list[list[int]]) -> torch.Tensor:
    """What StaticEmbedding computes: PyTorch's EmbeddingBag (mean) over flat ids + offsets."""
    bag = torch.nn.EmbeddingBag.from_pretrained(table, mode="mean")
    flat = torch.tensor([i for ids in token_ids for i in ids], dtype=torch.long)
    offsets = torch.tensor(np.cumsum([0] + [len(ids) for ids in token_ids[:-1]]), dtype=torch.long)
    return bag(flat, offsets)


@exercise(NOTEBOOK, "a static model by hand")
def check_static_encode(fn: Callable) -> str:
    """Check ``fn(table, token_ids) -> (sentences, dim) tensor``: the mean of each sentence's rows."""
    generator = torch.Generator().manual_seed(9)
    table = torch.randn(50, 8, generator=generator)
    cases = [
        ([[3, 7, 7, 1]], "one sentence of 4 tokens, one repeated"),
        ([[0], [4, 5], [49, 2, 2, 9, 11]], "3 sentences of different lengths"),
    ]
    for token_ids, what in cases:
        value = call(fn, table.clone(), [list(ids) for ids in token_ids], on=f"on {what}")
        got = as_tensor(value, (len(token_ids), table.shape[1]), "your static_encode")
        want = _bag_means(table, token_ids)
        if not torch.allclose(got.float(), want, atol=1e-5):
            row = int((got.float() - want).abs().sum(1).argmax())
            raise Wrong(
                f"on {what}, sentence {row} (tokens {token_ids[row]}) gives "
                f"{short(got[row].tolist())}, expected the mean of its rows "
                f"{short(want[row].tolist())}: a token that appears twice counts twice."
            )
    return "each sentence is the mean of its tokens' rows, as EmbeddingBag computes it"


@exercise(NOTEBOOK, "binary vectors")
def check_binary_quantize(fn: Callable) -> str:
    """Check ``fn(embeddings) -> (n, dim / 8) uint8``: signs packed eight to a byte."""
    from sentence_transformers.util.quantization import quantize_embeddings

    rng = np.random.default_rng(9)
    cases = [
        (np.array([[0.5, -1, 2, -0.1, 0, 3, -2, 1]], dtype=np.float32), "one vector of 8"),
        (rng.normal(size=(5, 32)).astype(np.float32), "5 random vectors of 32 dimensions"),
    ]
    for embeddings, what in cases:
        value = call(fn, embeddings.copy(), on=f"on {what}")
        got = np.asarray(value)
        want = quantize_embeddings(embeddings, precision="ubinary")
        if got.shape != want.shape:
            raise Wrong(
                f"on {what} expected shape {want.shape} (8 dimensions a byte), got {got.shape}."
            )
        if got.dtype != np.uint8:
            raise Wrong(f"return uint8 bytes (np.packbits gives them); you returned {got.dtype}.")
        if not np.array_equal(got, want):
            raise Wrong(
                f"on {what} got bytes {short(got[0].tolist())}, expected "
                f"{short(want[0].tolist())}: a bit is 1 where the value is above 0 (0 itself "
                "gives 0), the first dimension in the highest bit."
            )
    return "signs packed eight to a byte, as quantize_embeddings(precision='ubinary')"
