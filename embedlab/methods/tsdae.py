"""TSDAE: learn sentence embeddings without labels by rebuilding sentences from damaged copies.

Each training sentence loses a share of its words (the *deletion noise*); the encoder turns
the damaged copy into one vector and a decoder, tied to the encoder's weights, must rebuild
the original sentence from that vector alone. The loss is the library's
``DenoisingAutoEncoderLoss``; this module makes the (damaged, original) pairs. Each scale's
settings (``TSDAESettings``: the paper's [CLS] pooling for bert-base, mean pooling for the
quick profile's small base) are notebook 07's, in :mod:`embedlab.recipes.tsdae`.

The noise needs no NLTK data (which cannot be downloaded offline): words are split by a
regular expression and joined back with the usual spacing rules for punctuation.

>>> delete_words("A man is playing a guitar on stage.", ratio=0.6, seed=1)
'man is on stage'
>>> pairs = denoising_pairs(sentences, ratio=0.6)       # columns: damaged, original
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable

import torch
from datasets import Dataset
from sentence_transformers.sentence_transformer.losses import DenoisingAutoEncoderLoss

from ..data import require_columns
from ..errors import InputError

__all__ = [
    "split_words",
    "join_words",
    "delete_words",
    "denoising_pairs",
    "unlabelled_sentences",
    "rebuild",
]

_WORD = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]")
_NO_SPACE_BEFORE = set(".,;:!?)]}%'’\"")
_NO_SPACE_AFTER = set('([{$"')


def split_words(text: str) -> list[str]:
    """Words and punctuation marks of ``text``, in order ("don't" stays one word)."""
    return _WORD.findall(text)


def join_words(words: Iterable[str]) -> str:
    """Join words back into text: no space before closing punctuation or after opening."""
    text = ""
    previous = ""
    for word in words:
        glue = "" if not text or word in _NO_SPACE_BEFORE or previous in _NO_SPACE_AFTER else " "
        text += glue + word
        previous = word
    return text


def delete_words(text: str, ratio: float = 0.6, *, seed: int | random.Random = 42) -> str:
    """Delete each word of ``text`` with probability ``ratio``; at least one word is kept.

    ``seed`` is a number or a ``random.Random`` (pass one generator to damage many sentences
    reproducibly, each differently).
    """
    if not 0.0 <= ratio < 1.0:
        raise InputError(f"deletion ratio must be in [0, 1), got {ratio!r}; TSDAE's paper uses 0.6")
    rng = seed if isinstance(seed, random.Random) else random.Random(seed)
    words = split_words(text)
    if not words:
        return text
    kept = [word for word in words if rng.random() >= ratio]
    if not kept:
        kept = [rng.choice(words)]
    return join_words(kept)


def unlabelled_sentences(dataset: Dataset, n_sentences: int | None = None) -> list[str]:
    """Premises and hypotheses of an NLI dataset as one deduplicated list (labels ignored).

    Args:
        dataset: columns premise and hypothesis.
        n_sentences: keep the first this many distinct sentences; more than exist raises.
    """
    require_columns(dataset, ["premise", "hypothesis"])
    sentences = list(
        dict.fromkeys(
            s.strip()
            for pair in zip(dataset["premise"], dataset["hypothesis"], strict=True)
            for s in pair
            if s.strip()
        )
    )
    if n_sentences is not None:
        if n_sentences > len(sentences):
            raise InputError(
                f"asked for {n_sentences:,} sentences, but these rows hold only "
                f"{len(sentences):,} distinct ones; load more rows or ask for fewer"
            )
        sentences = sentences[:n_sentences]
    return sentences


def denoising_pairs(sentences: list[str], ratio: float = 0.6, *, seed: int = 42) -> Dataset:
    """TSDAE's training set: columns ``damaged`` (words deleted) and ``original``."""
    if not sentences:
        raise InputError("no sentences given; TSDAE needs unlabelled sentences to rebuild")
    rng = random.Random(seed)
    return Dataset.from_dict(
        {
            "damaged": [delete_words(s, ratio, seed=rng) for s in sentences],
            "original": list(sentences),
        }
    )


@torch.no_grad()
def rebuild(loss: DenoisingAutoEncoderLoss, damaged: str, *, max_tokens: int = 24) -> str:
    """What TSDAE's decoder writes from the encoder's one vector of ``damaged`` (greedy).

    The decoder sees nothing of the sentence but that vector (through cross-attention), so
    its text shows what the vector has kept: before training, noise; after, the original's
    words, in order, with the deleted ones often guessed back.
    """
    encoder, decoder = loss.encoder, loss.decoder
    tokenizer = loss.tokenizer_decoder
    was_training = (encoder.training, decoder.training)
    encoder.eval()
    decoder.eval()
    try:
        features = encoder.preprocess([damaged])
        features = {
            k: v.to(encoder.device) if isinstance(v, torch.Tensor) else v
            for k, v in features.items()
        }
        vector = encoder(features)["sentence_embedding"][:, None]  # (1, 1, dim)
        ids = torch.tensor([[tokenizer.cls_token_id]], device=encoder.device)
        for _ in range(max_tokens):
            logits = decoder(
                input_ids=ids,
                encoder_hidden_states=vector,
                encoder_attention_mask=torch.ones(1, 1, dtype=torch.long, device=ids.device),
                use_cache=False,
            )[0]
            token = logits[0, -1].argmax()
            if int(token) == tokenizer.sep_token_id:
                break
            ids = torch.cat([ids, token.view(1, 1)], dim=1)
        return tokenizer.decode(ids[0, 1:], skip_special_tokens=True)
    finally:
        encoder.train(was_training[0])
        decoder.train(was_training[1])
