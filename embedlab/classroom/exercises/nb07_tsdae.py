"""Checkers for the TSDAE notebook: unlabelled sentences from NLI rows, and the deletion
noise that damages each training sentence.

>>> check_deletion_noise(my_delete_words)      # my_delete_words(text, ratio=0.6) -> str
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

import numpy as np
import torch

from ...toydata import toy_reviews
from ._core import Wrong, call, exercise, plain_text, short
from .nb04_mnr import _TOY_NLI, _toy_nli

__all__ = ["check_unlabelled_sentences", "check_deletion_noise"]

NOTEBOOK = "07_tsdae_domain_adaptation"  # the stem of the TSDAE notebook

_WORD = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]")  # words and punctuation marks


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _is_subsequence(part: list[str], whole: list[str]) -> bool:
    rest = iter(whole)
    return all(any(word == w for w in rest) for word in part)


class _Seeded:
    """Seed Python's, NumPy's and torch's generators for the check, restore them after."""

    def __enter__(self) -> None:
        self.states = random.getstate(), np.random.get_state(), torch.random.get_rng_state()
        random.seed(0)
        np.random.seed(0)
        torch.manual_seed(0)

    def __exit__(self, *exc: object) -> None:
        random.setstate(self.states[0])
        np.random.set_state(self.states[1])
        torch.random.set_rng_state(self.states[2])


@exercise(NOTEBOOK, "unlabelled sentences")
def check_unlabelled_sentences(fn: Callable) -> str:
    """Check ``fn(nli_rows) -> [sentence, ...]``: every distinct premise and hypothesis, once."""
    rows = _toy_nli(None)
    value = call(fn, rows, on=f"on {len(rows)} NLI rows")
    if value is None:
        raise Wrong("your function returned None: did you forget `return`?")
    if isinstance(value, str) or not hasattr(value, "__iter__"):
        raise Wrong(f"return a list of sentences; you returned a {type(value).__name__}.")
    got = list(value)
    if not all(isinstance(s, str) for s in got):
        odd = next(s for s in got if not isinstance(s, str))
        raise Wrong(f"return sentences (strings) only; one item is {short(odd)}.")
    got = [plain_text(s) for s in got]  # a str subclass's own == cannot pass
    premises = {p for p, _, _ in _TOY_NLI}
    hypotheses = {h for _, h, _ in _TOY_NLI}
    twice = next((s for s in got if got.count(s) > 1), None)
    if twice is not None:
        raise Wrong(
            f"{short(twice)} appears {got.count(twice)} times: a premise comes back with each of "
            "its hypotheses, so keep each sentence once (dict.fromkeys keeps the order)."
        )
    unknown = [s for s in got if s not in premises | hypotheses]
    if unknown:
        raise Wrong(f"{short(unknown[0])} is neither a premise nor a hypothesis of the rows.")
    if not hypotheses & set(got):
        raise Wrong(
            "no hypothesis is in your list: hypotheses are sentences too, use both columns."
        )
    if not premises & set(got):
        raise Wrong("no premise is in your list: use both columns, premise and hypothesis.")
    missing = [s for s in dict.fromkeys([*premises, *hypotheses]) if s not in got]
    if missing:
        label = next(label for p, h, label in _TOY_NLI if missing[0] in (p, h))
        raise Wrong(
            f"{short(missing[0])} is missing (its row has label {label}). TSDAE needs no labels: "
            "take the sentences of every row, whatever its label."
        )
    return (
        f"All {len(got)} distinct sentences of {len(rows)} rows, each once, labels ignored: "
        "TSDAE learns from plain text, so any sentence of the target domain will do."
    )


def _damage(fn: Callable, text: str, ratio: float) -> str:
    damaged = call(fn, text, ratio, on=f"for {short(text)} with ratio={ratio}")
    if damaged is None:
        raise Wrong("your function returned None: did you forget `return`?")
    if isinstance(damaged, (list, tuple)):
        raise Wrong("return the damaged sentence as one string: join the words you keep.")
    if not isinstance(damaged, str):
        raise Wrong(f"return the damaged sentence as a string, not a {type(damaged).__name__}.")
    damaged = plain_text(damaged)
    kept, words = _words(damaged), _words(text)
    if not kept:
        raise Wrong(
            f"for {short(text)} with ratio={ratio} nothing is left: keep at least one word, "
            "or the encoder has nothing to read."
        )
    if not _is_subsequence(kept, words):
        raise Wrong(
            f"{short(damaged)} is not {short(text)} with words deleted: keep the remaining words "
            "as they are and in their order (no new words, no reordering, no lower-casing)."
        )
    return damaged


@exercise(NOTEBOOK, "deletion noise")
def check_deletion_noise(fn: Callable) -> str:
    """Check ``fn(text, ratio) -> damaged text``: each word deleted with probability ``ratio``."""
    sentences = [text for text, _, _ in toy_reviews()] * 5
    with _Seeded():
        for text in ("Hello.", "Stop!", "Don't panic, it's fine."):
            _damage(fn, text, 0.6)
        unchanged = _damage(fn, sentences[0], 0.0)
        if _words(unchanged) != _words(sentences[0]):
            raise Wrong(f"with ratio=0 nothing should be deleted; you returned {short(unchanged)}.")
        for ratio in (0.6, 0.3):
            total = sum(len(_words(s)) for s in sentences)
            kept = sum(len(_words(_damage(fn, s, ratio))) for s in sentences)
            deleted = 1 - kept / total
            if abs(deleted - ratio) > 0.08:
                hint = (
                    f"at ratio={ratio} you deleted {deleted:.0%} of the words of "
                    f"{len(sentences)} sentences; expect about {ratio:.0%}."
                )
                if abs(deleted - (1 - ratio)) <= 0.08:
                    hint += " ratio is the share to *delete*: keep each word with probability 1 − ratio."
                elif ratio != 0.6 and abs(deleted - 0.6) <= 0.08:
                    hint += " Use the ratio argument rather than a fixed 0.6."
                raise Wrong(hint)
        text = "A man in a red shirt is playing a guitar on a small stage tonight."
        copies = {_damage(fn, text, 0.6) for _ in range(10)}
        if len(copies) == 1:
            raise Wrong(
                "the same sentence is damaged the same way every time. Draw new noise at each "
                "call (do not fix a seed inside the function): TSDAE shows the model a "
                "different damaged copy on every pass."
            )
    return (
        "Words deleted at random at the share you ask for, at least one kept, the rest in order. "
        "The encoder sees this damaged copy; the decoder must rebuild the original from the "
        "encoder's single sentence vector."
    )
