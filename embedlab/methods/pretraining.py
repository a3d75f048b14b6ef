"""Masked-language-model pre-training: how the quick profile's base model is made.

A "pretrained BERT" is a transformer that has read a lot of text with words hidden and
learned to guess them back. embedlab ships a small one (4 layers, 128 wide, bert-base's
uncased WordPiece vocabulary) pre-trained this way on the NLI sentences of the offline data;
:func:`pretrain` is the code that made it, and notebook 00 runs the same code for a few
minutes. STS-B sentences are never part of the pre-training text, so the base model's
STS-B scores measure what it learned elsewhere.

>>> sentences = pretraining_sentences()            # NLI premises and hypotheses, deduplicated
>>> result = pretrain(PretrainingSettings(steps=200), sentences)
>>> result.losses[-1], fill_mask(result.model, result.tokenizer, "a man is playing a [MASK].")
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from transformers import (
    AutoModel,
    AutoTokenizer,
    BertConfig,
    BertForMaskedLM,
    DataCollatorForLanguageModeling,
    PreTrainedTokenizerBase,
    get_linear_schedule_with_warmup,
)

from ..errors import EmbedlabError, InputError
from ..models import SHIPPED_BASE

__all__ = [
    "PretrainingSettings",
    "PretrainingResult",
    "PRETRAINING_CORPUS",
    "pretraining_sentences",
    "new_masked_lm",
    "pretrain",
    "masked_lm_loss",
    "fill_mask",
    "weights_digest",
    "shipped_build_record",
    "shipped_settings",
]

# The offline NLI splits whose premises and hypotheses make the pre-training text. STS-B
# (train and validation) is left out on purpose: it is the chapter's yardstick, and the
# suite keeps STS-B train as data it never trains or tunes on.
PRETRAINING_CORPUS: tuple[tuple[str, str], ...] = (
    ("mnli", "train"),
    ("mnli", "validation_matched"),
    ("snli", "train"),
    ("snli", "validation"),
    ("snli", "test"),
)


@dataclass(frozen=True)
class PretrainingSettings:
    """Everything that decides the pre-trained weights (recorded beside them)."""

    hidden_size: int = 128  # bert-base: 768
    num_hidden_layers: int = 4  # bert-base: 12
    num_attention_heads: int = 4  # bert-base: 12 (head size 32 here, 64 there)
    intermediate_size: int = 512  # bert-base: 3072
    seed_word_vectors: bool = True  # start the word vectors from all-MiniLM-L6-v2's (PCA)
    steps: int = 6_000  # optimiser steps
    batch_size: int = 128  # sentences a step
    learning_rate: float = 1e-3  # AdamW peak, after a linear warm-up; linear decay to 0
    warmup_steps: int = 300
    weight_decay: float = 0.01
    mask_probability: float = (
        0.15  # BERT's: 15% of tokens; of those 80% [MASK], 10% random, 10% kept
    )
    max_length: int = 64  # tokens per sentence (NLI sentences rarely need more)
    seed: int = 42

    def validate(self) -> None:
        """Raise :class:`InputError` for a setting out of range."""
        for key in (
            "hidden_size",
            "num_hidden_layers",
            "num_attention_heads",
            "steps",
            "batch_size",
            "max_length",
            "intermediate_size",
        ):
            value = getattr(self, key)
            if not isinstance(value, int) or value < 1:
                raise InputError(
                    f"pre-training setting {key}={value!r} must be a whole number >= 1"
                )
        if self.hidden_size % self.num_attention_heads:
            raise InputError(
                f"hidden_size={self.hidden_size} must be divisible by "
                f"num_attention_heads={self.num_attention_heads}"
            )
        if not 0 < self.learning_rate < 1:
            raise InputError(f"learning_rate={self.learning_rate!r} must be in (0, 1), e.g. 1e-3")
        if not 0 < self.mask_probability < 1:
            raise InputError(
                f"mask_probability={self.mask_probability!r} must be in (0, 1); BERT uses 0.15"
            )
        if self.warmup_steps < 0 or self.weight_decay < 0:
            raise InputError("warmup_steps and weight_decay must be >= 0")


@dataclass
class PretrainingResult:
    """What :func:`pretrain` produced: the model, its tokenizer and the loss curve."""

    model: BertForMaskedLM
    tokenizer: PreTrainedTokenizerBase
    settings: PretrainingSettings
    losses: list[float] = field(default_factory=list)  # mean masked-token loss per log interval
    log_every: int = 50  # steps per entry of ``losses``
    seconds: float = 0.0
    n_sentences: int = 0

    def summary(self) -> dict[str, Any]:
        """Settings, time and final loss: the build record shipped beside the weights."""
        epochs = self.settings.steps * self.settings.batch_size / max(1, self.n_sentences)
        return {
            "settings": asdict(self.settings),
            "sentences": self.n_sentences,
            "epochs": round(epochs, 2),
            "seconds": round(self.seconds, 1),
            "final_loss": round(self.losses[-1], 4) if self.losses else None,
            "loss_curve": [round(x, 4) for x in self.losses],
            "log_every": self.log_every,
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
        }


def pretraining_sentences(
    corpus: Sequence[tuple[str, str]] = PRETRAINING_CORPUS, *, folder: str | Path | None = None
) -> list[str]:
    """The pre-training text: distinct premises and hypotheses of ``corpus``, minus any
    sentence that also occurs in STS-B (so STS-B scores stay a fair test)."""
    from ..data import load_nli, load_stsb

    seen: dict[str, None] = {}
    for name, split in corpus:
        rows = load_nli(name, split, folder=folder)
        for premise, hypothesis in zip(rows["premise"], rows["hypothesis"], strict=True):
            for sentence in (premise.strip(), hypothesis.strip()):
                if sentence:
                    seen.setdefault(sentence)
    stsb: set[str] = set()
    for split in ("train", "validation"):
        rows = load_stsb(split, folder=folder)
        stsb.update(s.strip() for s in rows["sentence1"])
        stsb.update(s.strip() for s in rows["sentence2"])
    return [s for s in seen if s not in stsb]


def _reduce(matrix: torch.Tensor, dim: int) -> torch.Tensor:
    """Rows of ``matrix`` on their top ``dim`` principal components, at BERT's initial scale."""
    centred = matrix - matrix.mean(dim=0, keepdim=True)
    _, _, v = torch.linalg.svd(centred, full_matrices=False)
    reduced = centred @ v[:dim].T
    return reduced / reduced.std() * 0.05


def new_masked_lm(settings: PretrainingSettings) -> tuple[BertForMaskedLM, PreTrainedTokenizerBase]:
    """A fresh (untrained) BERT masked LM of ``settings``' size and bert-base's uncased
    tokenizer (taken from the offline all-MiniLM-L6-v2, which uses the same vocabulary).

    With ``seed_word_vectors`` the word vectors start as all-MiniLM-L6-v2's, reduced to
    ``hidden_size`` by PCA: a shortcut for the word knowledge bert-base gathered over days of
    pre-training. The layers above them always start random.
    """
    from ..models import pretrained_model_path

    settings.validate()
    source = pretrained_model_path()
    tokenizer = AutoTokenizer.from_pretrained(source)
    torch.manual_seed(settings.seed)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=settings.hidden_size,
        num_hidden_layers=settings.num_hidden_layers,
        num_attention_heads=settings.num_attention_heads,
        intermediate_size=settings.intermediate_size,
        max_position_embeddings=512,
    )
    model = BertForMaskedLM(config)
    if settings.seed_word_vectors:
        minilm = AutoModel.from_pretrained(source, dtype=torch.float32)
        with torch.no_grad():
            words = minilm.embeddings.word_embeddings.weight.detach().float()
            model.bert.embeddings.word_embeddings.weight.copy_(_reduce(words, settings.hidden_size))
        del minilm
    return model, tokenizer


def masked_lm_loss(model: BertForMaskedLM, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Cross-entropy over the masked positions only.

    ``BertForMaskedLM(**batch)`` would score every position against the 30,522-word
    vocabulary and then ignore 85% of them; scoring only the masked ones gives the same loss
    about five times faster on a CPU.
    """
    labels = batch["labels"]
    hidden = model.bert(
        input_ids=batch["input_ids"],
        attention_mask=batch["attention_mask"],
        token_type_ids=batch.get("token_type_ids"),
    ).last_hidden_state
    masked = labels != -100
    logits = model.cls(hidden[masked])
    return torch.nn.functional.cross_entropy(logits, labels[masked])


def _length_bucketed_batches(
    encoded: Sequence[Sequence[int]], batch_size: int, rng: random.Random
) -> list[list[int]]:
    """One epoch of batches in random order, each of sentences of similar length.

    Sentences are shuffled, cut into pools of 32 batches, and sorted by length within a
    pool, so a batch pads to about its own length instead of the longest sentence's (the
    NLI sentences average 16 tokens; padding every batch to 64 made a step four times dearer).
    """
    order = list(range(len(encoded)))
    rng.shuffle(order)
    pool = batch_size * 32
    batches = []
    for begin in range(0, len(order), pool):
        chunk = sorted(order[begin : begin + pool], key=lambda i: len(encoded[i]))
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    batches = [b for b in batches if len(b) == batch_size]
    rng.shuffle(batches)
    return batches


def pretrain(
    settings: PretrainingSettings,
    sentences: Sequence[str],
    *,
    model: BertForMaskedLM | None = None,
    tokenizer: PreTrainedTokenizerBase | None = None,
    log_every: int = 50,
    on_log: Callable[[int, float], None] | None = None,
) -> PretrainingResult:
    """Pre-train a BERT masked LM on ``sentences`` for ``settings.steps`` steps.

    Masking is transformers' own ``DataCollatorForLanguageModeling`` (BERT's 15% with the
    80/10/10 rule). Batches are drawn in a seeded shuffled order, epoch after epoch, so the
    same settings and sentences give the same weights on the same machine.

    Args:
        settings: model size and training settings.
        sentences: the unlabelled text, one sentence each.
        model, tokenizer: continue from these instead of a fresh :func:`new_masked_lm`.
        log_every: steps per entry of the returned loss curve.
        on_log: called with (step, mean loss) at each entry (e.g. a live plot).
    """
    settings.validate()
    if len(sentences) < settings.batch_size:
        raise InputError(
            f"pre-training needs at least one batch of sentences ({settings.batch_size}); "
            f"got {len(sentences)}"
        )
    if model is None or tokenizer is None:
        model, tokenizer = new_masked_lm(settings)
    encoded = tokenizer(
        list(sentences),
        truncation=True,
        max_length=settings.max_length,
        return_attention_mask=False,
    )["input_ids"]
    collator = DataCollatorForLanguageModeling(
        tokenizer, mlm_probability=settings.mask_probability, return_tensors="pt"
    )
    decay = [p for n, p in model.named_parameters() if p.ndim > 1 and "LayerNorm" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.ndim > 1 and "LayerNorm" not in n)]
    optimizer = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": settings.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=settings.learning_rate,
    )
    schedule = get_linear_schedule_with_warmup(optimizer, settings.warmup_steps, settings.steps)
    order_rng = random.Random(settings.seed)
    torch.manual_seed(settings.seed)  # the collator's masks come from torch's generator
    batches: list[list[int]] = []
    result = PretrainingResult(
        model, tokenizer, settings, log_every=log_every, n_sentences=len(sentences)
    )
    running, counted = 0.0, 0
    model.train()
    start = time.perf_counter()
    for step in range(1, settings.steps + 1):
        if not batches:
            batches = _length_bucketed_batches(encoded, settings.batch_size, order_rng)
        picked = batches.pop()
        batch = collator([{"input_ids": encoded[i]} for i in picked])
        loss = masked_lm_loss(model, batch)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        running, counted = running + loss.item(), counted + 1
        if step % log_every == 0 or step == settings.steps:
            result.losses.append(running / counted)
            if on_log is not None:
                on_log(step, running / counted)
            running, counted = 0.0, 0
    result.seconds = time.perf_counter() - start
    model.eval()
    return result


@torch.no_grad()
def fill_mask(
    model: BertForMaskedLM, tokenizer: PreTrainedTokenizerBase, text: str, *, top_k: int = 5
) -> list[tuple[str, float]]:
    """The ``top_k`` words the model puts in the first ``[MASK]`` of ``text``, with their
    probabilities."""
    if tokenizer.mask_token not in text:
        raise InputError(f"the text needs a {tokenizer.mask_token} for the model to fill: {text!r}")
    was_training = model.training
    model.eval()
    inputs = tokenizer(text, return_tensors="pt")
    position = (inputs["input_ids"][0] == tokenizer.mask_token_id).nonzero()[0, 0]
    logits = model(**inputs).logits[0, position]
    probabilities = torch.softmax(logits, dim=-1)
    top = torch.topk(probabilities, top_k)
    model.train(was_training)
    return [
        (tokenizer.convert_ids_to_tokens(int(i)), round(float(p), 3))
        for p, i in zip(top.values, top.indices, strict=True)
    ]


def weights_digest(model: torch.nn.Module) -> str:
    """SHA-256 of a model's parameters (names, shapes and values): equal digests, equal weights."""
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(json.dumps(list(tensor.shape)).encode())
        digest.update(tensor.detach().to(torch.float32).contiguous().numpy().tobytes())
    return digest.hexdigest()


def perplexity(loss: float) -> float:
    """exp(loss): how many words the model is, on average, hesitating between."""
    return math.exp(loss)


# --- the shipped base model (built by embedlab-build-base) ---------------------------------

BUILD_RECORD = "build.json"


def shipped_build_record(folder: Path = SHIPPED_BASE) -> dict[str, Any]:
    """The record written beside the shipped weights (settings, time, loss, STS-B probe)."""
    path = folder / BUILD_RECORD
    if not path.is_file():
        raise EmbedlabError(
            f"no build record at {path}: the base model is not built. "
            "Run: embedlab-build-base (about 40 minutes on a 2-core CPU)"
        )
    return json.loads(path.read_text())


def shipped_settings(folder: Path = SHIPPED_BASE) -> PretrainingSettings:
    """The settings the shipped base model was built with."""
    return PretrainingSettings(**shipped_build_record(folder)["settings"])
