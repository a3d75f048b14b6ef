"""STS-B evaluation: how well cosine similarity of embeddings follows human judgements.

The chapter's yardstick is STS-B validation (1,500 sentence pairs scored 0-5 by people,
divided by 5). ``EmbeddingSimilarityEvaluator`` embeds both sentences of each pair and
reports the Spearman and Pearson correlation between cosine similarity and the score.

>>> scores = evaluate_sts(model)          # {"spearman_cosine": 0.61, "pearson_cosine": 0.52}
"""

from __future__ import annotations

import hashlib
import numbers
from collections.abc import Iterable, Sequence

import numpy as np
import torch
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.evaluation import (
    BinaryClassificationEvaluator,
    EmbeddingSimilarityEvaluator,
)

from .data import load_stsb
from .errors import InputError
from .stsb_genres import load_stsb_genres

__all__ = [
    "STS_NAME",
    "stsb_evaluator",
    "evaluate_sts",
    "scores_before_training",
    "metrics_before_training",
    "forget_scores",
    "sts_scores",
    "pair_cosines",
    "pair_features",
    "check_evaluator",
]

STS_NAME = "sts-dev"
SCORE_KEYS = ("spearman_cosine", "pearson_cosine")


def stsb_evaluator(
    split: str = "validation",
    *,
    rows: list[int] | None = None,
    genre: str | None = None,
    name: str | None = None,
    batch_size: int = 64,
) -> EmbeddingSimilarityEvaluator:
    """An evaluator on STS-B ``split``: all of it, the given row positions, or one genre.

    ``genre`` is one of STS-B's genres (``main-captions``, ``main-news``, ``main-forums``;
    see :func:`embedlab.stsb_genres.load_stsb_genres`); its evaluator is named ``sts-<genre>``.
    """
    dataset = load_stsb(split)
    if rows is not None:
        dataset = dataset.select(_check_rows(rows, len(dataset), split))
    if genre is not None:
        genres = load_stsb_genres()
        known = sorted(set(genres.values()))
        if genre not in known:
            raise InputError(f"unknown STS-B genre {genre!r}; choose one of {known}")
        dataset = dataset.filter(lambda row: genres[(split, int(row["idx"]))] == genre)
        name = name or f"sts-{genre}"
    if len(dataset) < 2:
        raise InputError(
            f"STS-B {split}{f' ({genre})' if genre else ''} gives {len(dataset)} pair(s) here; "
            "a Spearman correlation needs at least 2 rows (the STS-B file may be cut short: "
            "copy it again from the lab kit or the shared data folder)"
        )
    return EmbeddingSimilarityEvaluator(
        sentences1=list(dataset["sentence1"]),
        sentences2=list(dataset["sentence2"]),
        scores=[score / 5.0 for score in dataset["label"]],
        similarity_fn_names=["cosine"],
        name=name or STS_NAME,
        batch_size=batch_size,
        write_csv=False,
    )


def _check_rows(rows: Iterable[int], n_rows: int, split: str) -> list[int]:
    """``rows`` as a list of positions in STS-B ``split``; else :class:`InputError`."""
    positions = list(rows)
    odd = [r for r in positions if isinstance(r, bool) or not isinstance(r, numbers.Integral)]
    if odd:
        raise InputError(f"rows must be whole-number positions, got {odd[0]!r}")
    outside = [r for r in positions if not 0 <= r < n_rows]
    if outside:
        raise InputError(
            f"row {outside[0]:,} is outside STS-B {split}, which has {n_rows:,} rows "
            f"(positions 0 to {n_rows - 1:,}); ask for at most {n_rows:,} rows, "
            f"e.g. rows=range({n_rows}) or --eval-rows {n_rows}"
        )
    if len(positions) < 2:
        raise InputError(
            f"{len(positions)} STS-B row(s) asked for; a Spearman correlation needs at least 2 "
            "rows, e.g. rows=range(200) or --eval-rows 200"
        )
    return [int(r) for r in positions]


def sts_scores(metrics: dict[str, float], name: str = STS_NAME) -> dict[str, float]:
    """Pick Spearman and Pearson on cosine out of an evaluator's (prefixed) metrics dict."""
    picked = {}
    for key in SCORE_KEYS:
        for candidate in (f"{name}_{key}", f"eval_{name}_{key}", key):
            if candidate in metrics:
                picked[key] = round(float(metrics[candidate]), 4)
                break
    return picked


def evaluate_sts(
    model: SentenceTransformer, evaluator: EmbeddingSimilarityEvaluator | None = None
) -> dict[str, float]:
    """Spearman and Pearson correlation on STS-B validation, rounded to 4 places."""
    evaluator = evaluator or stsb_evaluator()
    return sts_scores(evaluator(model), evaluator.name)


_METRICS: dict[tuple[str, str], dict[str, float]] = {}  # (model, evaluator) fingerprints -> metrics


def _model_fingerprint(model: torch.nn.Module) -> str:
    """A hash of the model's architecture (pooling, maximum length ...) and every weight that
    can change an embedding. Left out: BERT's own pooler (``*.pooler.*``), which
    sentence-transformers never calls (it pools the token vectors itself) and which loading
    a masked-LM checkpoint fills with fresh random weights each time."""
    digest = hashlib.blake2b(repr(model).encode(), digest_size=16)
    for name, tensor in model.state_dict().items():
        if ".pooler." in name:
            continue
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def _evaluator_fingerprint(evaluator: object) -> str | None:
    """A hash of what a pair evaluator scores: its class, name, pairs, gold scores or labels and
    settings; ``None`` for an evaluator without pairs (nothing to fingerprint)."""
    if not isinstance(evaluator, EmbeddingSimilarityEvaluator | BinaryClassificationEvaluator):
        return None
    gold = getattr(evaluator, "scores", None) or getattr(evaluator, "labels", None)
    parts = [type(evaluator).__name__, evaluator.name, evaluator.sentences1, evaluator.sentences2]
    settings = ("similarity_fn_names", "main_similarity", "batch_size", "truncate_dim", "precision")
    parts += [gold] + [getattr(evaluator, setting, None) for setting in settings]
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def metrics_before_training(model: SentenceTransformer, evaluator) -> dict[str, float]:
    """``evaluator(model)``, remembered for the session like :func:`scores_before_training`:
    for a pair evaluator (STS or pair classification) the key is the model's weights and the
    evaluator's pairs; any other evaluator is simply called."""
    evaluator_key = _evaluator_fingerprint(evaluator)
    if evaluator_key is None:
        return evaluator(model)
    key = (_model_fingerprint(model), evaluator_key)
    if key not in _METRICS:
        _METRICS[key] = dict(evaluator(model))
    return dict(_METRICS[key])


def scores_before_training(
    model: SentenceTransformer, evaluator: EmbeddingSimilarityEvaluator | None = None
) -> dict[str, float]:
    """:func:`evaluate_sts`, remembered for the rest of the session by the model's weights.

    Every seed of a recipe starts from the same base model, so its untrained score is the
    same each time: the first run scores it, later runs read it back. The key is a hash of
    every weight, so a model that changed in any way is scored afresh.
    """
    evaluator = evaluator or stsb_evaluator()
    return sts_scores(metrics_before_training(model, evaluator), evaluator.name)


def forget_scores() -> None:
    """Forget the scores :func:`scores_before_training` remembered (e.g. between tests)."""
    _METRICS.clear()


def check_evaluator(evaluator: object, where: str = "evaluator") -> None:
    """Refuse what cannot score a model as ``where`` (``None`` is fine: the default is
    used): a string or other non-callable, or an STS evaluator of fewer than 2 pairs."""
    if evaluator is None:
        return
    if isinstance(evaluator, str) or not callable(evaluator):
        raise InputError(
            f"{where} must be an evaluator (called on a model), e.g. "
            "el.evaluation.stsb_evaluator(rows=range(200)), not "
            f"{type(evaluator).__name__} {str(evaluator)[:40]!r}"
        )
    if isinstance(evaluator, EmbeddingSimilarityEvaluator) and len(evaluator.scores) < 2:
        raise InputError(
            f"{where} has {len(evaluator.scores)} pair(s); a Spearman correlation needs at "
            "least 2, e.g. el.evaluation.stsb_evaluator(rows=range(200))"
        )


def _sentence_list(sentences: object, which: str) -> list[str]:
    """``sentences`` as a list of texts; else :class:`InputError` naming ``which``."""
    if isinstance(sentences, str) or not isinstance(sentences, Iterable):
        raise InputError(
            f"{which} must be a list of sentences, not {type(sentences).__name__} "
            f"{str(sentences)[:40]!r}; e.g. pair_cosines(model, ['a cat'], ['a dog'])"
        )
    texts = list(sentences)
    odd = [(i, t) for i, t in enumerate(texts) if not isinstance(t, str)]
    if odd:
        i, text = odd[0]
        raise InputError(f"{which}[{i}] is {text!r}, not a sentence; every item must be text")
    return texts


def _sentence_pairs(sentences1: object, sentences2: object) -> tuple[list[str], list[str]]:
    first = _sentence_list(sentences1, "sentences1")
    second = _sentence_list(sentences2, "sentences2")
    if len(first) != len(second):
        raise InputError(f"{len(first)} first sentences but {len(second)} second ones")
    if not first:
        raise InputError("no sentence pairs given; pass at least one pair of sentences")
    return first, second


def pair_cosines(
    model: SentenceTransformer, sentences1: Sequence[str], sentences2: Sequence[str]
) -> np.ndarray:
    """Cosine similarity of each pair (sentences1[i], sentences2[i])."""
    sentences1, sentences2 = _sentence_pairs(sentences1, sentences2)
    u = model.encode(list(sentences1), batch_size=64, normalize_embeddings=True)
    v = model.encode(list(sentences2), batch_size=64, normalize_embeddings=True)
    return (u * v).sum(axis=1)


def pair_features(
    model: SentenceTransformer, sentences1: Sequence[str], sentences2: Sequence[str]
) -> np.ndarray:
    """(u, v, |u - v|) for each pair: what SoftmaxLoss's classifier reads; for pair maps."""
    sentences1, sentences2 = _sentence_pairs(sentences1, sentences2)
    u = model.encode(list(sentences1), batch_size=64)
    v = model.encode(list(sentences2), batch_size=64)
    return np.hstack([u, v, np.abs(u - v)])
