"""Checkers for the pre-training notebook: BERT's masking rule, and the masked-LM loss.

>>> check_masked_lm_loss(my_loss)      # my_loss(logits, labels) -> 0-d tensor
>>> check_mask_tokens(my_mask)         # my_mask(input_ids, special, probability, mask_id, vocab)
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from ._core import Wrong, as_loss, call, close, exercise

__all__ = ["check_masked_lm_loss", "check_mask_tokens"]

NOTEBOOK = "00_pretraining_a_base_model"  # the stem of the pre-training notebook
IGNORE = -100  # the label of a position that is not scored


def _as_ids(value, shape: tuple[int, ...], what: str) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise Wrong(f"{what} should be a torch tensor of token ids, not a {type(value).__name__}.")
    if tuple(value.shape) != shape:
        raise Wrong(
            f"{what} should have shape {shape} (like input_ids), yours has {tuple(value.shape)}."
        )
    return value.long()


@exercise(NOTEBOOK, "masked-LM loss")
def check_masked_lm_loss(fn: Callable) -> str:
    """Check ``fn(logits, labels)``: cross-entropy over the positions whose label is not -100."""
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 5, 11, generator=generator, requires_grad=True)
    labels = torch.full((3, 5), IGNORE)
    labels[0, 1], labels[1, 4], labels[2, 0], labels[2, 3] = 3, 7, 0, 10
    value = as_loss(call(fn, logits, labels, on="on a batch of 3 sentences"), "your loss")
    with torch.no_grad():
        flat = logits.reshape(-1, 11)
        expected = F.cross_entropy(flat, labels.reshape(-1), ignore_index=IGNORE)
        everywhere = F.cross_entropy(flat, labels.clamp(min=0).reshape(-1))
    got = float(value.detach())
    if close(got, float(everywhere)):
        raise Wrong(
            "you scored every position; only the masked ones count (label -100 means 'not "
            "masked, do not score'): select labels != -100 first, or pass ignore_index=-100."
        )
    if close(got, float(expected) * 4):
        raise Wrong("you summed over the masked positions; take their mean.")
    if not close(got, float(expected)):
        raise Wrong(
            f"your loss is {got:.4f}, expected {float(expected):.4f}: the mean cross-entropy of "
            "the right token at the 4 masked positions (F.cross_entropy on logits (N, vocab))."
        )
    value.backward()
    if logits.grad is None or not torch.any(logits.grad != 0):
        raise Wrong("no gradient reached the logits: compute the loss with torch operations.")
    return (
        "The mean cross-entropy at the masked positions only, the loss BERT was pre-trained "
        "with: about ln(vocabulary size) for a random network, lower as it learns."
    )


def _masks(
    fn: Callable, ids: torch.Tensor, special: torch.Tensor, p: float, mask_id: int, vocab: int
):
    out = call(fn, ids.clone(), special.clone(), p, mask_id, vocab, on=f"with probability={p}")
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise Wrong("return two tensors: (masked input_ids, labels).")
    inputs = _as_ids(out[0], tuple(ids.shape), "the masked input_ids")
    labels = _as_ids(out[1], tuple(ids.shape), "the labels")
    return inputs, labels


@exercise(NOTEBOOK, "BERT's masking rule")
def check_mask_tokens(fn: Callable) -> str:
    """Check ``fn(input_ids, special_tokens_mask, probability, mask_id, vocab_size)`` returns
    (inputs, labels) by BERT's rule: choose tokens with ``probability`` (never special ones);
    of those, 80% become ``mask_id``, 10% a random token, 10% stay; labels hold the original
    token where chosen and -100 elsewhere."""
    torch.manual_seed(0)
    vocab, mask_id = 1000, 3
    ids = torch.randint(10, vocab, (64, 40))
    special = torch.zeros_like(ids, dtype=torch.bool)
    special[:, 0] = special[:, -1] = True
    ids[:, 0], ids[:, -1] = 1, 2
    inputs, labels = _masks(fn, ids, special, 0.15, mask_id, vocab)
    chosen = labels != IGNORE
    if torch.any(chosen & special):
        raise Wrong("a special token ([CLS] or [SEP]) was chosen: never mask those.")
    if torch.any(labels[chosen] != ids[chosen]):
        raise Wrong("where a token is chosen, its label must be the original token id.")
    if torch.any(inputs[~chosen] != ids[~chosen]):
        raise Wrong("a token that was not chosen changed: only chosen tokens may be replaced.")
    share = chosen.sum().item() / (~special).sum().item()
    if abs(share - 0.15) > 0.03:
        raise Wrong(
            f"you chose {share:.0%} of the ordinary tokens; expect about 15% (the probability)."
        )
    n = chosen.sum().item()
    masked = (inputs[chosen] == mask_id).sum().item() / n
    kept = (inputs[chosen] == ids[chosen]).sum().item() / n
    if abs(masked - 0.8) > 0.06:
        raise Wrong(f"{masked:.0%} of the chosen tokens became the mask token; expect about 80%.")
    if abs(kept - 0.1) > 0.05:
        raise Wrong(
            f"{kept:.0%} of the chosen tokens were left as they are; expect about 10% (the other "
            "10% become a random token)."
        )
    inputs_b, _ = _masks(fn, ids, special, 0.15, mask_id, vocab)
    if torch.equal(inputs, inputs_b):
        raise Wrong(
            "the same tokens were masked twice in a row: draw new random choices each call."
        )
    return (
        "BERT's rule: 15% of the ordinary tokens chosen, 80% of those masked, 10% replaced by a "
        "random token, 10% kept, and only they are scored. DataCollatorForLanguageModeling "
        "does exactly this."
    )
