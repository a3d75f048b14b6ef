"""Explorers without the widgets: compare sentences under any model, map sets of texts.

*Model choices* are the pretrained all-MiniLM-L6-v2, the untrained base model, and every
model in the ledger whose saved folder still exists. The *similarity explorer* turns a few
sentences and one model into a cosine matrix and each sentence's nearest neighbours; the
*embedding explorer* maps a labelled set of texts with UMAP under one or two models.

>>> choices = model_choices()                      # label -> where the model comes from
>>> view = similarity_view(load_choice(PRETRAINED), ["A cat.", "A kitten.", "Stocks fell."])
>>> view.neighbours[0][0]                          # (1, 0.79): "A kitten." is nearest
>>> items = item_set("toy reviews · sentiment", 48)
>>> maps = embedding_maps(items, {"MiniLM": load_choice(PRETRAINED)})
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sentence_transformers import SentenceTransformer

from ..artefacts import MANIFEST, manifest_problem
from ..data import NLI_LABELS, load_nli, load_stsb
from ..errors import InputError, ModelUnavailableError
from ..evaluation import pair_features
from ..models import load_base_model, load_pretrained_model, open_model_folder
from ..plots import umap_coordinates
from ..profiles import Profile, get_profile
from ..stsb_genres import load_stsb_genres
from ..toydata import toy_reviews
from ..training.ledger import read_ledger

__all__ = [
    "PRETRAINED",
    "UNTRAINED",
    "SAMPLE_SENTENCES",
    "model_choices",
    "load_choice",
    "parse_sentences",
    "SimilarityView",
    "similarity_view",
    "ItemSet",
    "ITEM_SETS",
    "item_set",
    "custom_items",
    "embedding_maps",
    "nearest_items",
]

PRETRAINED = "all-MiniLM-L6-v2 (pretrained)"
UNTRAINED = "untrained base model"
MAX_SENTENCES = 30  # a readable heat-map
MAX_LOADED = 4  # models kept in memory by load_choice
SAMPLE_SENTENCES = (
    "A man is playing a guitar.",
    "Someone plays an instrument.",
    "A man is not playing a guitar.",
    "A woman is slicing an onion.",
    "Stocks fell sharply after the announcement.",
    "The market dropped today.",
)


def model_choices(*, profile: str | None = None) -> dict[str, str]:
    """Every model the explorers can load: label -> model folder (or a marker).

    The pretrained MiniLM and the untrained base model come first, then the ledger's models
    (newest first, one entry per folder, only folders that still exist), optionally only
    those trained in ``profile``.
    """
    choices = {PRETRAINED: PRETRAINED, UNTRAINED: UNTRAINED}
    seen: set[str] = set()
    for record in reversed(read_ledger()):
        path = record.get("model_path") or ""
        if not path or path in seen or not (Path(path) / "modules.json").is_file():
            continue
        if profile and record.get("profile") != profile:
            continue
        seen.add(path)
        score = (record.get("trained") or {}).get("spearman_cosine")
        scored = f", STS-B {score:.3f}" if score is not None else ""
        label = f"{record['recipe']} · {record['notebook']} · {record['profile']}{scored}"
        choices[label] = path
    return choices


def _load_saved(folder: str) -> SentenceTransformer:
    """A saved model, after checking its files against the manifest saved with it (if any)."""
    if (Path(folder) / MANIFEST).is_file():
        problem = manifest_problem(folder)
        if problem is not None:
            raise ModelUnavailableError(
                f"the saved model in {folder} is damaged: {problem}. Train it again (its "
                "notebook cell or python -m embedlab_tools.train), or choose another model."
            )
    fix = (
        "Train it again (its notebook cell or python -m embedlab_tools.train), or choose "
        "another model."
    )
    return open_model_folder(folder, fix)  # no manifest: weights and modules.json checked


_loaded: dict[tuple[str, float], SentenceTransformer] = {}


def load_choice(choice: str, *, profile: Profile | None = None) -> SentenceTransformer:
    """Load a model by its :func:`model_choices` label or folder (cached until it changes)."""
    target = model_choices().get(choice, choice)
    if target == PRETRAINED:
        key = (PRETRAINED, 0.0)
    elif target == UNTRAINED:
        key = (f"{UNTRAINED}:{(profile or get_profile()).name}", 0.0)
    elif (Path(target) / "modules.json").is_file():
        weights = [p for p in Path(target).glob("**/model.safetensors")]
        key = (str(Path(target).resolve()), max((os.path.getmtime(w) for w in weights), default=0))
    else:
        raise InputError(
            f"no model {choice!r}: choose a label from model_choices() (the pretrained model, "
            "the untrained base model or a model in the ledger) or a saved model's folder"
        )
    if key not in _loaded:
        for old in [k for k in _loaded if k[0] == key[0]]:
            del _loaded[old]  # a newer run saved over this folder
        while len(_loaded) >= MAX_LOADED:
            del _loaded[next(iter(_loaded))]  # the oldest loaded model
        if target == PRETRAINED:
            model = load_pretrained_model()
        elif target == UNTRAINED:
            model = load_base_model(profile or get_profile())
        else:
            model = _load_saved(target)
        model.eval()
        _loaded[key] = model
    return _loaded[key]


def parse_sentences(text: str | Sequence[str]) -> list[str]:
    """Sentences from one-per-line text (or a list): stripped, blanks and repeats dropped."""
    lines = text.splitlines() if isinstance(text, str) else list(text)
    sentences = list(dict.fromkeys(s.strip() for s in lines if s and s.strip()))
    if len(sentences) < 2:
        raise InputError("give at least two different sentences, one per line")
    if len(sentences) > MAX_SENTENCES:
        raise InputError(
            f"{len(sentences)} sentences is too many to read as a matrix; give at most "
            f"{MAX_SENTENCES}, or use the embedding explorer for large sets"
        )
    return sentences


@dataclass
class SimilarityView:
    """Cosine similarity of every pair of sentences, and each one's nearest neighbours."""

    sentences: list[str]
    matrix: np.ndarray  # (n, n) cosine similarities
    neighbours: list[list[tuple[int, float]]]  # per sentence: (other index, cosine), best first

    def describe(self, k: int = 2) -> str:
        """One line per sentence naming its ``k`` nearest neighbours with their cosines."""
        lines = []
        for sentence, near in zip(self.sentences, self.neighbours):
            shown = "; ".join(f"{self.sentences[j]!r} {cos:.2f}" for j, cos in near[:k])
            lines.append(f"{sentence!r} -> {shown}")
        return "\n".join(lines)


def similarity_view(
    model: SentenceTransformer, sentences: str | Sequence[str], *, k: int = 3
) -> SimilarityView:
    """Embed ``sentences`` with ``model``; return the cosine matrix and ``k`` neighbours each."""
    sentences = parse_sentences(sentences)
    vectors = model.encode(sentences, convert_to_numpy=True, normalize_embeddings=True)
    matrix = (vectors @ vectors.T).astype(float)
    neighbours = []
    for i in range(len(sentences)):
        order = [j for j in np.argsort(-matrix[i], kind="stable") if j != i][:k]
        neighbours.append([(int(j), round(float(matrix[i, j]), 4)) for j in order])
    return SimilarityView(sentences=sentences, matrix=matrix, neighbours=neighbours)


@dataclass
class ItemSet:
    """Texts to map, one label each; an item is a sentence or a sentence pair."""

    name: str
    texts: list[str]  # what a reader sees for each item
    labels: list[Any]
    label_names: dict[Any, str] | None
    featurize: Callable[[SentenceTransformer], np.ndarray]  # model -> (n, d)

    def __len__(self) -> int:
        return len(self.texts)


def _encode(sentences: list[str]) -> Callable[[SentenceTransformer], np.ndarray]:
    return lambda model: model.encode(sentences, batch_size=64, convert_to_numpy=True)


def custom_items(
    sentences: Sequence[str], labels: Sequence[Any], *, name: str = "custom"
) -> ItemSet:
    """Your own sentences and labels as an item set (at least 4, one label each)."""
    sentences = [str(s) for s in sentences]
    if len(sentences) != len(labels):
        raise InputError(
            f"{len(sentences)} sentences but {len(labels)} labels; give one label each"
        )
    if len(sentences) < 4:
        raise InputError("a map needs at least 4 sentences")
    return ItemSet(name, sentences, list(labels), None, _encode(sentences))


def _reviews(n: int, column: int, name: str) -> ItemSet:
    rows = toy_reviews()
    rows = [rows[i] for i in np.linspace(0, len(rows) - 1, min(n, len(rows))).astype(int)]
    texts = [row[0] for row in rows]
    return ItemSet(name, texts, [row[column] for row in rows], None, _encode(texts))


def _pairs(name: str, firsts: list[str], seconds: list[str], labels, label_names) -> ItemSet:
    texts = [f"{a}  <->  {b}" for a, b in zip(firsts, seconds)]
    return ItemSet(
        name, texts, list(labels), label_names, lambda m: pair_features(m, firsts, seconds)
    )


def _nli_pairs(n: int, name: str) -> ItemSet:
    rows = load_nli("mnli", "validation_matched", n_rows=n)
    return _pairs(name, list(rows["premise"]), list(rows["hypothesis"]), rows["label"], NLI_LABELS)


def _stsb_pairs(n: int, name: str) -> ItemSet:
    rows = load_stsb("validation", n_rows=n)
    bins = [f"{min(int(score), 4)}-{min(int(score), 4) + 1}" for score in rows["label"]]
    return _pairs(name, list(rows["sentence1"]), list(rows["sentence2"]), bins, None)


def _stsb_genres(n: int, name: str) -> ItemSet:
    rows = load_stsb("validation", n_rows=n)
    genres = load_stsb_genres()
    labels = [genres.get(("validation", int(i)), "unknown") for i in rows["idx"]]
    texts = list(rows["sentence1"])
    return ItemSet(name, texts, labels, None, _encode(texts))


def _corpora(n: int, name: str) -> ItemSet:
    each = max(2, n // 3)
    groups = {
        "MNLI": list(load_nli("mnli", "train", n_rows=each)["premise"]),
        "SNLI": list(load_nli("snli", "train", n_rows=each)["premise"]),
        "STS-B": list(load_stsb("validation", n_rows=each)["sentence1"]),
    }
    texts = [s for group in groups.values() for s in group]
    labels = [g for g, group in groups.items() for _ in group]
    return ItemSet(name, texts, labels, None, _encode(texts))


# name -> builder(n_points, name); the label each set is coloured by follows the dot.
ITEM_SETS: dict[str, Callable[[int, str], ItemSet]] = {
    "toy reviews · sentiment": lambda n, name: _reviews(n, 2, name),
    "toy reviews · topic": lambda n, name: _reviews(n, 1, name),
    "MNLI validation pairs · NLI label": _nli_pairs,
    "STS-B validation pairs · score bin": _stsb_pairs,
    "STS-B sentences · genre": _stsb_genres,
    "MNLI, SNLI and STS-B sentences · corpus": _corpora,
}


def item_set(name: str, n_points: int) -> ItemSet:
    """The first ``n_points`` items of the set ``name`` (see :data:`ITEM_SETS`)."""
    if name not in ITEM_SETS:
        raise InputError(f"unknown item set {name!r}; choose one of {list(ITEM_SETS)}")
    if not isinstance(n_points, int) or n_points < 4:
        raise InputError(f"n_points={n_points!r}: a map needs at least 4 points")
    return ITEM_SETS[name](n_points, name)


def embedding_maps(
    items: ItemSet,
    models: Mapping[str, SentenceTransformer],
    *,
    seed: int = 42,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """UMAP of ``items`` under each of one or two models: name -> (coords (n, 2), features)."""
    if not 1 <= len(models) <= 2:
        raise InputError(f"choose one or two models to compare, not {len(models)}")
    maps = {}
    for name, model in models.items():
        features = np.asarray(items.featurize(model), dtype=np.float32)
        maps[name] = (umap_coordinates(features, seed=seed), features)
    return maps


def nearest_items(features: np.ndarray, index: int, *, k: int = 3) -> list[tuple[int, float]]:
    """The ``k`` items nearest to item ``index`` by cosine in the full embedding space."""
    if not 0 <= index < len(features):
        raise InputError(f"item {index} does not exist; there are {len(features)}")
    unit = features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)
    cosines = unit @ unit[index]
    order = [j for j in np.argsort(-cosines, kind="stable") if j != index][:k]
    return [(int(j), round(float(cosines[j]), 4)) for j in order]
