"""Augmented SBERT: a cross-encoder labels new pairs ("silver") for a bi-encoder to learn from.

The four steps: (1) train a cross-encoder on a small labelled ("gold") set; (2) make new,
unlabelled pairs; (3) label them with the cross-encoder; (4) train the bi-encoder on gold +
silver. Three ways to make pairs: the further rows of the dataset (``given``), random
recombination of gold sentences (``random``), and each gold sentence with its nearest
neighbours by a pretrained embedding model (``semantic``).

>>> check_gold_pairs(gold)            # the teacher: notebook 06's teacher_trainer (embedlab.recipes)
>>> accuracy = classification_report(cross_encoder, held_back)["accuracy"]
>>> silver = label_pairs(cross_encoder, semantic_pairs(gold, embedder, top_k=3))
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from typing import Any

import numpy as np
import torch
from datasets import Dataset
from sentence_transformers import SentenceTransformer
from sentence_transformers.cross_encoder import (
    CrossEncoder,
)
from sentence_transformers.util import semantic_search
from sklearn.metrics import roc_auc_score

from ..data import require_columns
from ..errors import InputError, ModelUnavailableError
from ..models import MINILM_HUB_ID, locate_model, pretrained_model_path
from ..profiles import STANDIN, Profile, device_name

__all__ = [
    "PAIRING_STRATEGIES",
    "cross_encoder_base",
    "positive_pairs",
    "bi_encoder_dataset",
    "check_gold_pairs",
    "cross_encoder_record",
    "speed_comparison",
    "classification_report",
    "given_pairs",
    "random_pairs",
    "semantic_pairs",
    "label_pairs",
    "gold_plus_silver",
]

PAIRING_STRATEGIES = ("given", "random", "semantic")
MINILM_NAME = MINILM_HUB_ID.split("/")[-1]


def cross_encoder_base(profile: Profile) -> tuple[str, str]:
    """The body the cross-encoder (the teacher) starts from, and a short name.

    The book's teacher starts from bert-base-uncased (full profile, with the Hub or a local
    copy). Without it, and always in the quick profile, the teacher starts from
    all-MiniLM-L6-v2's body: a 4-layer base cannot learn entailment from 2,000 pairs (on
    the quick base it never predicted a positive, ROC AUC 0.47), and a teacher must be right
    before it labels anything. The bi-encoder still starts from the profile's base model.
    """
    name = profile.base_model
    if name == STANDIN:
        return str(pretrained_model_path()), MINILM_NAME
    try:
        path, _where = locate_model(name)  # a local folder, a lab kit's copy, or the Hub
    except ModelUnavailableError:
        return str(pretrained_model_path()), MINILM_NAME
    return path, name.rstrip("/").split("/")[-1]


def positive_pairs(pairs: Dataset) -> Dataset:
    """The pairs labelled similar (score >= 0.5) as (anchor, positive), for MNR."""
    require_columns(pairs, ["sentence1", "sentence2", "score"])
    kept = [
        (a, b)
        for a, b, score in zip(pairs["sentence1"], pairs["sentence2"], pairs["score"], strict=True)
        if score >= 0.5
    ]
    if not kept:
        raise InputError("no pair has a score of 0.5 or more, so MNR has no positives to learn")
    return Dataset.from_dict({"anchor": [a for a, _ in kept], "positive": [b for _, b in kept]})


def bi_encoder_dataset(pairs: Dataset, loss: str) -> Dataset:
    """``pairs`` (sentence1, sentence2, score) in the columns ``loss`` trains on.

    The pair losses (``cosine``, ``cosent``) take the scores as they are; MNR takes the
    positive pairs and finds its negatives in the batch.
    """
    if loss in ("mnr", "cached-mnr", "gist"):
        return positive_pairs(pairs)
    require_columns(pairs, ["sentence1", "sentence2", "score"])
    return pairs


def check_gold_pairs(gold: Dataset) -> None:
    """Gold pairs a teacher can learn from: (sentence1, sentence2, score) with scores 0.0 or
    1.0, both present; otherwise :class:`InputError` naming the problem."""
    require_columns(gold, ["sentence1", "sentence2", "score"])
    scores = np.asarray(gold["score"], dtype=float)
    if not set(np.unique(scores)) <= {0.0, 1.0}:
        raise InputError("gold scores must be 0.0 or 1.0 for the cross-encoder")
    positives = scores.sum()
    if positives == 0 or positives == len(scores):
        raise InputError("gold pairs need both classes (some 1.0 and some 0.0 scores)")


def _probabilities(cross_encoder: CrossEncoder, pairs: Dataset) -> np.ndarray:
    inputs = list(zip(pairs["sentence1"], pairs["sentence2"], strict=True))
    return np.asarray(
        cross_encoder.predict(inputs, batch_size=64, activation_fn=torch.nn.Sigmoid()),
        dtype=float,
    ).reshape(-1)


def classification_report(
    cross_encoder: CrossEncoder, pairs: Dataset, *, threshold: float = 0.5
) -> dict[str, float]:
    """Accuracy on labelled pairs, beside the majority-class baseline and the rates of 1s."""
    require_columns(pairs, ["sentence1", "sentence2", "score"])
    truth = np.asarray(pairs["score"], dtype=float) >= 0.5
    probabilities = _probabilities(cross_encoder, pairs)
    predicted = probabilities >= threshold
    return {
        "accuracy": round(float((predicted == truth).mean()), 4),
        "roc_auc": round(float(roc_auc_score(truth, probabilities)), 4)
        if 0 < truth.sum() < len(truth)
        else float("nan"),
        "majority_baseline": round(float(max(truth.mean(), 1 - truth.mean())), 4),
        "predicted_positive_rate": round(float(predicted.mean()), 4),
        "true_positive_rate": round(float(truth.mean()), 4),
        "n": int(len(truth)),
    }


def cross_encoder_record(
    *,
    notebook: str,
    profile: Profile,
    base_name: str,
    n_train: int,
    report: dict[str, float],
    info: dict[str, float],
    settings: dict[str, Any],
) -> dict[str, Any]:
    """The cross-encoder's ledger record (recipe ``cross-encoder``, key ``accuracy``), unwritten.

    :func:`embedlab.training.run.record_cross_encoder` builds it with this and writes it.

    A cross-encoder has no embedding, so no STS-B score: its record carries the held-back
    classification report instead (``accuracy``, ``majority_baseline``, ...).
    """
    record = {
        "notebook": notebook,
        "recipe": "cross-encoder",
        "profile": profile.name,
        "seed": profile.seed,  # the new head's start and the order of the gold pairs
        "base_model": base_name,
        "device": device_name(),
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "n_train": n_train,
        "untrained": {},  # no embedding, so no STS-B score
        "trained": {},
        "model_path": "",  # kept in memory only
        "seconds": info["seconds"],
        "peak_memory_mb": info["peak_memory_mb"],
        **settings,
        **report,
    }
    return record


def speed_comparison(
    bi_encoder: SentenceTransformer, cross_encoder: CrossEncoder, pairs: Dataset
) -> dict[str, float]:
    """Seconds each model needs to score the same pairs, and what that means for search.

    Returns ``bi_seconds`` and ``cross_seconds`` for scoring ``pairs`` (the bi-encoder
    embeds every sentence and takes cosines; the cross-encoder reads every pair), their
    per-pair costs, and ``search_10k_*``: the estimated seconds to find the most similar pair
    among 10,000 sentences (bi-encoder: 10,000 embeddings; cross-encoder: 49,995,000 pairs).
    """
    require_columns(pairs, ["sentence1", "sentence2"])
    firsts, seconds = list(pairs["sentence1"]), list(pairs["sentence2"])
    start = time.perf_counter()
    u = bi_encoder.encode(firsts, batch_size=64, normalize_embeddings=True)
    v = bi_encoder.encode(seconds, batch_size=64, normalize_embeddings=True)
    _ = (u * v).sum(axis=1)
    bi = time.perf_counter() - start
    start = time.perf_counter()
    cross_encoder.predict(list(zip(firsts, seconds, strict=True)), batch_size=64)
    cross = time.perf_counter() - start
    per_sentence = bi / (2 * len(firsts))
    per_pair = cross / len(firsts)
    return {
        "n_pairs": len(firsts),
        "bi_seconds": round(bi, 2),
        "cross_seconds": round(cross, 2),
        "search_10k_bi_seconds": round(10_000 * per_sentence, 1),
        "search_10k_cross_seconds": round(10_000 * 9_999 / 2 * per_pair, 1),
    }


def given_pairs(rows: Dataset) -> Dataset:
    """The further rows of an NLI dataset as unlabelled pairs (the book's choice)."""
    require_columns(rows, ["premise", "hypothesis"])
    return Dataset.from_dict(
        {"sentence1": list(rows["premise"]), "sentence2": list(rows["hypothesis"])}
    )


def random_pairs(gold: Dataset, n_pairs: int, *, seed: int = 42) -> Dataset:
    """New pairs from gold sentences: a random first sentence with a random second one."""
    require_columns(gold, ["sentence1", "sentence2"])
    firsts = list(dict.fromkeys(gold["sentence1"]))
    seconds = list(dict.fromkeys(gold["sentence2"]))
    existing = set(zip(gold["sentence1"], gold["sentence2"], strict=True))
    if n_pairs > len(firsts) * len(seconds) - len(existing):
        raise InputError(
            f"cannot make {n_pairs:,} new pairs from {len(firsts)} x {len(seconds)} sentences"
        )
    rng = random.Random(seed)
    made: dict[tuple[str, str], None] = {}
    while len(made) < n_pairs:
        pair = (rng.choice(firsts), rng.choice(seconds))
        if pair not in existing:
            made[pair] = None
    return Dataset.from_dict({"sentence1": [a for a, _ in made], "sentence2": [b for _, b in made]})


def semantic_pairs(gold: Dataset, embedder: SentenceTransformer, *, top_k: int = 3) -> Dataset:
    """Each gold first sentence with its ``top_k`` most similar gold second sentences.

    Pairs that are already in gold are skipped, so every pair is new. Similar sentences are
    far more likely to be positives than random ones, which balances the silver labels.
    """
    require_columns(gold, ["sentence1", "sentence2"])
    if top_k < 1:
        raise InputError(f"top_k must be >= 1, got {top_k}")
    firsts = list(dict.fromkeys(gold["sentence1"]))
    seconds = list(dict.fromkeys(gold["sentence2"]))
    existing = set(zip(gold["sentence1"], gold["sentence2"], strict=True))
    queries = embedder.encode(
        firsts, batch_size=64, convert_to_tensor=True, normalize_embeddings=True
    )
    corpus = embedder.encode(
        seconds, batch_size=64, convert_to_tensor=True, normalize_embeddings=True
    )
    hits = semantic_search(queries, corpus, top_k=top_k + 1)
    made: dict[tuple[str, str], None] = {}
    for first, candidates in zip(firsts, hits, strict=True):
        kept = 0
        for hit in candidates:
            pair = (first, seconds[hit["corpus_id"]])
            if pair in existing or pair in made:
                continue
            made[pair] = None
            kept += 1
            if kept == top_k:
                break
    return Dataset.from_dict({"sentence1": [a for a, _ in made], "sentence2": [b for _, b in made]})


def label_pairs(
    cross_encoder: CrossEncoder, pairs: Dataset, *, threshold: float = 0.5, graded: bool = False
) -> Dataset:
    """The silver set: ``pairs`` with the cross-encoder's label as ``score``.

    By default the label is 0/1 (probability >= ``threshold``), as in the book; with
    ``graded=True`` it is the probability itself, as the Augmented SBERT paper does.
    """
    require_columns(pairs, ["sentence1", "sentence2"])
    probabilities = _probabilities(cross_encoder, pairs)
    labels = probabilities if graded else (probabilities >= threshold).astype(float)
    return Dataset.from_dict(
        {
            "sentence1": list(pairs["sentence1"]),
            "sentence2": list(pairs["sentence2"]),
            "score": labels.tolist(),
        }
    )


def gold_plus_silver(gold: Dataset, silver: Dataset) -> Dataset:
    """Gold then silver, dropping silver pairs that repeat a pair already present."""
    require_columns(gold, ["sentence1", "sentence2", "score"])
    require_columns(silver, ["sentence1", "sentence2", "score"])
    seen: set[tuple[str, str]] = set()
    rows: dict[str, list[Any]] = {"sentence1": [], "sentence2": [], "score": []}
    for part in (gold, silver):
        for a, b, score in zip(part["sentence1"], part["sentence2"], part["score"], strict=True):
            if (a, b) in seen:
                continue
            seen.add((a, b))
            rows["sentence1"].append(a)
            rows["sentence2"].append(b)
            rows["score"].append(float(score))
    return Dataset.from_dict(rows)
