"""The chapter's datasets (MNLI, SNLI, STS-B) and the training sets built from NLI rows.

Datasets load from the Hub (``nyu-mll/glue``, ``stanfordnlp/snli``) or, offline, from JSON
Lines files in the Hub's schema; the columns are the same either way.

>>> mnli = load_nli("mnli", "train", n_rows=1000)       # premise, hypothesis, label, idx
>>> pairs = cosine_pairs(mnli)                           # sentence1, sentence2, score
"""

from __future__ import annotations

import logging
import numbers
import random
from collections import Counter
from pathlib import Path

from datasets import Dataset, load_dataset

from .datafiles import load_jsonl
from .errors import DataUnavailableError, InputError
from .sources import DATA_DIR_ENV, data_dir, hub_reachable

__all__ = [
    "NLI_LABELS",
    "load_nli",
    "load_training_nli",
    "load_stsb",
    "nli_pairs",
    "cosine_pairs",
    "mnr_triplets",
    "require_columns",
    "require_nli_labels",
    "split_by_premise",
    "graded_pairs",
    "hub_source",
]

log = logging.getLogger(__name__)

NLI_LABELS = {0: "entailment", 1: "neutral", 2: "contradiction"}

# name -> (Hub repository, Hub config, local sub-folder)
_HUB = {
    "mnli": ("nyu-mll/glue", "mnli", "mnli"),
    "snli": ("stanfordnlp/snli", None, "snli"),
    "stsb": ("nyu-mll/glue", "stsb", "stsb"),
}
_SPLITS = {
    "mnli": ("train", "validation_matched", "validation_mismatched"),
    "snli": ("train", "validation", "test"),
    "stsb": ("train", "validation"),
}


def hub_source(name: str) -> tuple[str, str | None]:
    """The Hub repository and config that dataset ``name`` loads from online.

    >>> hub_source("mnli")
    ('nyu-mll/glue', 'mnli')
    """
    if name not in _HUB:
        raise InputError(f"unknown dataset {name!r}; choose one of {sorted(_HUB)}")
    return _HUB[name][0], _HUB[name][1]


def _local_file(name: str, split: str, folder: Path) -> Path:
    return folder / _HUB[name][2] / f"{split}.jsonl"


def _load(name: str, split: str, n_rows: int | None, folder: str | Path | None) -> Dataset:
    """Load ``name``/``split`` from the offline folder if one is set, else from the Hub."""
    if name not in _HUB:
        raise InputError(f"unknown dataset {name!r}; choose one of {sorted(_HUB)}")
    if split not in _SPLITS[name]:
        raise InputError(f"{name} has no split {split!r}; choose one of {list(_SPLITS[name])}")
    n_rows = _check_n_rows(n_rows)
    local = data_dir(folder)
    if local is not None:
        if local.exists() and not local.is_dir():
            raise DataUnavailableError(
                f"{DATA_DIR_ENV} points at {local}, a file, not a folder: set it to the folder "
                f"that holds {_HUB[name][2]}/{split}.jsonl (see README, 'Working offline'), or "
                "unset it to load from the Hub."
            )
        path = _local_file(name, split, local)
        if not path.is_file():
            raise DataUnavailableError(
                f"{name} {split} is missing from the offline data folder: expected {path}. "
                f"Point {DATA_DIR_ENV} at a folder with {_HUB[name][2]}/{split}.jsonl "
                "(see README, 'Working offline'), or unset it to load from the Hub."
            )
        dataset = load_jsonl(path, name)  # a damaged file: an error naming its bad line
        source = f"offline copy {path.name} ({len(dataset):,} rows)"
    elif hub_reachable():
        repo, config, _ = _HUB[name]
        dataset = load_dataset(repo, config, split=split)
        source = f"Hub {repo}" + (f"/{config}" if config else "")
    else:
        raise DataUnavailableError(
            f"{name} {split} cannot be loaded: the Hugging Face Hub is not reachable and no "
            f"offline data folder is set. Connect to the internet, or set {DATA_DIR_ENV} to a "
            "folder of the datasets in the Hub's schema (in this repository's CI: "
            f"{DATA_DIR_ENV}=../shared/data; teachers: see 'embedlab-labkit' in the README)."
        )
    dataset = _first_rows(dataset, n_rows, f"rows of {name} {split}", f"the {source} has only")
    log.info("loaded %s %s: %d rows from %s", name, split, len(dataset), source)
    return dataset


def _check_n_rows(n_rows: object) -> int | None:
    """``n_rows`` as an int >= 1 (NumPy integers too), or ``None`` for all rows."""
    if n_rows is None:
        return None
    if isinstance(n_rows, bool) or not isinstance(n_rows, numbers.Integral) or n_rows < 1:
        raise InputError(
            f"n_rows={n_rows!r} must be a whole number >= 1, e.g. n_rows=1000 "
            "(or None for all rows)"
        )
    return int(n_rows)


def _first_rows(dataset: Dataset, n_rows: int | None, what: str, holder: str) -> Dataset:
    """The first ``n_rows`` rows (all for ``None``); more than exist is a clear error."""
    if n_rows is None:
        return dataset
    if n_rows > len(dataset):
        raise InputError(
            f"asked for {n_rows:,} {what}, but {holder} {len(dataset):,}. Ask for at most "
            f"{len(dataset):,}, or load from the Hub for the complete split(s)."
        )
    return dataset.select(range(n_rows))


def require_columns(dataset: Dataset, columns: list[str] | tuple[str, ...]) -> None:
    """Raise :class:`InputError` naming any of ``columns`` that ``dataset`` lacks."""
    missing = [c for c in columns if c not in dataset.column_names]
    if missing:
        raise InputError(
            f"the dataset lacks column(s) {missing}; it has {dataset.column_names}. "
            f"Rename them (dataset.rename_column) so that {list(columns)} are present."
        )


def _whole_label(value: object) -> bool:
    """An int, or a float with nothing after the point (``2.0``); not 0.5, "0" or True."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    return isinstance(value, numbers.Integral) or float(value).is_integer()


def require_nli_labels(dataset: Dataset) -> None:
    """Raise :class:`InputError` when a label is not a whole number in {0, 1, 2}."""
    require_columns(dataset, ["label"])
    values = set(dataset["label"])
    odd = [v for v in values if not _whole_label(v)]
    if odd:
        raise InputError(
            f"NLI labels must be whole numbers 0 (entailment), 1 (neutral) or 2 "
            f"(contradiction); found {sorted(odd, key=repr)[:5]} in column 'label'. Fix the "
            "data: fractional labels are not rounded, since 0.5 or 1.7 has no meaning."
        )
    bad = sorted({int(v) for v in values} - set(NLI_LABELS))
    if bad:
        raise InputError(
            f"NLI labels must be 0 (entailment), 1 (neutral) or 2 (contradiction); found {bad}. "
            "Drop rows without a gold label (-1) first: dataset.filter(lambda r: r['label'] >= 0)."
        )


def load_nli(
    name: str = "mnli",
    split: str = "train",
    n_rows: int | None = None,
    *,
    folder: str | Path | None = None,
) -> Dataset:
    """Load an NLI split (MNLI or SNLI) with columns premise, hypothesis, label, idx.

    Rows without a gold label (label -1, present in the Hub's SNLI) are dropped before
    counting ``n_rows``.

    Args:
        name: ``"mnli"`` or ``"snli"``.
        split: ``"train"``, ``"validation_matched"`` (MNLI), ``"validation"``/``"test"`` (SNLI).
        n_rows: the first ``n_rows`` rows; more than exist raises :class:`InputError`.
        folder: offline data folder; defaults to ``$EMBEDLAB_DATA_DIR``.
    """
    if name not in ("mnli", "snli"):
        raise InputError(f"load_nli reads 'mnli' or 'snli', not {name!r}")
    n_rows = _check_n_rows(n_rows)
    dataset = _load(name, split, None, folder)
    require_columns(dataset, ["premise", "hypothesis", "label"])
    if min(dataset["label"]) < 0:
        dataset = dataset.select([i for i, label in enumerate(dataset["label"]) if label >= 0])
    if n_rows is not None:
        if n_rows > len(dataset):
            raise InputError(
                f"asked for {n_rows:,} rows of {name} {split}, but only {len(dataset):,} "
                "labelled rows exist here. Ask for fewer, or load from the Hub for the full split."
            )
        dataset = dataset.select(range(n_rows))
    return dataset


def load_training_nli(
    splits: tuple[str, ...] = ("mnli/train",),
    n_rows: int | None = None,
    *,
    folder: str | Path | None = None,
) -> Dataset:
    """The labelled NLI rows a profile's loss recipes train on: ``splits`` joined.

    Args:
        splits: ``"name/split"`` entries, e.g. ``("mnli/train", "snli/train")``; a profile's
            ``train_splits``.
        n_rows: the first this many rows of the joined set (more than exist raises).
        folder: offline data folder; defaults to ``$EMBEDLAB_DATA_DIR``.

    One split is returned in its own order (the book's "first 50,000 rows of MNLI train").
    Several are shuffled together once, with a fixed seed that does not depend on the run's
    seed, so every seed of a recipe trains on the same rows.
    """
    from datasets import concatenate_datasets

    if not splits:
        raise InputError("train_splits is empty; name at least one, e.g. ('mnli/train',)")
    parts = []
    for entry in splits:
        name, _, split = entry.partition("/")
        if not split:
            raise InputError(
                f"a training split is written 'name/split', e.g. 'mnli/train'; got {entry!r}"
            )
        parts.append(
            load_nli(name, split, folder=folder).select_columns(["premise", "hypothesis", "label"])
        )
    joined = parts[0] if len(parts) == 1 else concatenate_datasets(parts).shuffle(seed=0)
    joined = _first_rows(joined, n_rows, "training rows", f"{' + '.join(splits)} hold only")
    return joined.flatten_indices()


def load_stsb(
    split: str = "validation", n_rows: int | None = None, *, folder: str | Path | None = None
) -> Dataset:
    """Load STS-B with columns sentence1, sentence2, label (0-5 human score), idx."""
    dataset = _load("stsb", split, n_rows, folder)
    require_columns(dataset, ["sentence1", "sentence2", "label"])
    return dataset


def nli_pairs(dataset: Dataset) -> Dataset:
    """Three-label pairs for SoftmaxLoss: sentence1 (premise), sentence2 (hypothesis), label."""
    require_columns(dataset, ["premise", "hypothesis", "label"])
    require_nli_labels(dataset)
    return Dataset.from_dict(
        {
            "sentence1": list(dataset["premise"]),
            "sentence2": list(dataset["hypothesis"]),
            "label": [int(label) for label in dataset["label"]],
        }
    )


def cosine_pairs(dataset: Dataset) -> Dataset:
    """Similarity pairs for CosineSimilarityLoss: entailment -> 1.0, neutral/contradiction -> 0.0."""
    require_columns(dataset, ["premise", "hypothesis", "label"])
    require_nli_labels(dataset)
    return Dataset.from_dict(
        {
            "sentence1": list(dataset["premise"]),
            "sentence2": list(dataset["hypothesis"]),
            "score": [1.0 if label == 0 else 0.0 for label in dataset["label"]],
        }
    )


def graded_pairs(stsb: Dataset) -> Dataset:
    """STS-B rows as sentence1, sentence2, score in [0, 1] (the 0-5 human score divided by 5)."""
    require_columns(stsb, ["sentence1", "sentence2", "label"])
    scores = []
    for row, score in enumerate(stsb["label"]):
        number = score if isinstance(score, numbers.Real) and not isinstance(score, bool) else None
        if number is None or not 0 <= number <= 5:  # NaN fails both comparisons
            raise InputError(
                f"STS-B scores must be numbers in [0, 5]; row {row} has {score!r} in column "
                "'label'. Fix or drop that row (a NaN score would make every result NaN)."
            )
        scores.append(float(number))
    return Dataset.from_dict(
        {
            "sentence1": list(stsb["sentence1"]),
            "sentence2": list(stsb["sentence2"]),
            "score": [s / 5.0 for s in scores],
        }
    )


def mnr_triplets(dataset: Dataset, *, seed: int = 42) -> Dataset:
    """(anchor, positive, negative) triplets from the entailment rows, random negatives.

    The anchor is the premise, the positive its entailed hypothesis and the negative the
    hypothesis of another, randomly chosen entailment row (an "easy" or "soft" negative).
    """
    require_columns(dataset, ["premise", "hypothesis", "label"])
    require_nli_labels(dataset)
    rows = zip(dataset["premise"], dataset["hypothesis"], dataset["label"])
    entailed = [(premise, hypothesis) for premise, hypothesis, label in rows if label == 0]
    anchors, positives = [p for p, _ in entailed], [h for _, h in entailed]
    if len(anchors) < 2:
        raise InputError(
            f"need at least 2 entailment rows to draw random negatives, found {len(anchors)}; "
            "load more NLI rows"
        )
    if len(set(anchors)) < 2:  # every other row shares the premise: no negative to draw
        raise InputError(
            f"all {len(anchors)} entailment rows share one premise, so no row can lend another "
            "a negative from a different premise; load rows with at least 2 distinct premises"
        )
    rng = random.Random(seed)
    negatives = []
    total, counts = len(anchors), Counter(anchors)
    # A premise of most rows would take many redrawn tries per row (quadratic time): its
    # rows draw from a list of the other rows instead. Every other premise keeps the
    # redraw, which takes fewer than 8 tries on average, and so the draws of ordinary data.
    crowded: dict[str, list[int] | None] = {
        p: None for p, n in counts.items() if (total - n) * MOST < total
    }
    for i, anchor in enumerate(anchors):
        if anchor in crowded:
            if crowded[anchor] is None:
                crowded[anchor] = [k for k, other in enumerate(anchors) if other != anchor]
            others = crowded[anchor]
            negatives.append(positives[others[rng.randrange(len(others))]])
            continue
        j = rng.randrange(len(anchors))
        while j == i or anchors[j] == anchor:
            j = rng.randrange(len(anchors))
        negatives.append(positives[j])
    return Dataset.from_dict({"anchor": anchors, "positive": positives, "negative": negatives})


MOST = 8  # a premise is "crowded" when fewer than 1 row in MOST has another premise


def split_by_premise(
    dataset: Dataset, n_held_out: int, *, seed: int = 42
) -> tuple[Dataset, Dataset]:
    """Split NLI rows into (train, held_out) so that no premise appears in both.

    ``n_held_out`` premises, drawn at random with ``seed``, go to ``held_out`` with all their
    hypotheses; the rest stay for training.
    """
    require_columns(dataset, ["premise"])
    premises = list(dict.fromkeys(dataset["premise"]))
    if not 0 < n_held_out < len(premises):
        raise InputError(
            f"n_held_out={n_held_out} must be between 1 and {len(premises) - 1} "
            f"(the dataset has {len(premises)} distinct premises)"
        )
    held = set(random.Random(seed).sample(premises, n_held_out))
    in_held = [p in held for p in dataset["premise"]]
    train = dataset.select([i for i, h in enumerate(in_held) if not h])
    held_out = dataset.select([i for i, h in enumerate(in_held) if h])
    return train, held_out
