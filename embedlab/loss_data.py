"""Column, label and score checks for each loss's training data, before any run starts.

:class:`embedlab.training.run.recorded_run` calls :func:`check_loss_data` on its trainer's loss
and training set before the first evaluation, so data the loss cannot read (a pair loss
without its label column, in-batch negatives with one) or a label the loss cannot take
(softmax label 3, a cosine score of 5.0, a string) is one clear
:class:`~embedlab.errors.InputError` naming the column, the value and the allowed range, instead of a deep torch error after minutes of work.

>>> check_loss_data(SoftmaxLoss(model, 384, 3), nli_pairs(mnli))   # labels 0, 1, 2: fine
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

from datasets import Dataset, Value
from sentence_transformers.sentence_transformer import losses as st_losses
from torch import nn

from .errors import InputError

__all__ = ["check_class_labels", "check_scores", "check_loss_data"]

_SCORE_LOSSES = ("cosine", "cosent", "angle")  # a float score per pair
_UNIT_SCORE_LOSSES = ("cosine",)  # ... that must lie in [0, 1]
_LABEL_COLUMNS = ("label", "score", "labels", "scores")  # what sentence-transformers reads


def _first_bad(values: Sequence[Any], good) -> tuple[int, Any] | None:
    for row, value in enumerate(values):
        if not good(value):
            return row, value
    return None


def _is_whole(value: Any) -> bool:
    """An integer, or a float with nothing after the point (``1.0``, not ``0.5`` or NaN)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    return isinstance(value, numbers.Integral) or float(value).is_integer()


def check_class_labels(values: Sequence[Any], column: str, num_labels: int) -> None:
    """Every value a whole number in ``range(num_labels)`` (``1.0`` counts: a float column
    of whole numbers); else :class:`InputError` naming the first row that is not."""
    bad = _first_bad(values, lambda v: _is_whole(v) and 0 <= v < num_labels)
    if bad is not None:
        row, value = bad
        raise InputError(
            f"column {column!r}, row {row}: label {value!r} is not a class this loss knows; "
            f"labels must be whole numbers 0 to {num_labels - 1} (for NLI: 0 entailment, "
            "1 neutral, 2 contradiction). Drop or fix such rows first, e.g. "
            f"dataset.filter(lambda r: r[{column!r}] in {list(range(num_labels))})."
        )


def check_scores(
    values: Sequence[Any], column: str, low: float | None = None, high: float | None = None
) -> None:
    """Every value a finite number, within [``low``, ``high``] where given; else InputError."""

    def good(value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return False
        if math.isnan(value) or math.isinf(value):
            return False
        return (low is None or value >= low) and (high is None or value <= high)

    bad = _first_bad(values, good)
    if bad is None:
        return
    row, value = bad
    if low is None:
        raise InputError(
            f"column {column!r}, row {row}: score {value!r} is not a number; "
            "every pair needs a numeric similarity score"
        )
    raise InputError(
        f"column {column!r}, row {row}: score {value!r} is outside [{low:g}, {high:g}]; "
        "scores are similarities from 0 (unrelated) to 1 (same meaning). STS-B's 0-5 scores "
        "must be divided by 5 first (embedlab.data.graded_pairs does this)."
    )


# losses that take every other row's positive (and negative) as this row's negatives
_IN_BATCH = (
    st_losses.MultipleNegativesRankingLoss,
    st_losses.CachedMultipleNegativesRankingLoss,
    st_losses.GISTEmbedLoss,
)


def _loss_kind(loss: nn.Module) -> tuple[str | None, int]:
    """(kind of data it reads, number of classes) of a loss module."""
    if isinstance(loss, st_losses.MatryoshkaLoss):
        return _loss_kind(loss.loss)
    if isinstance(loss, st_losses.SoftmaxLoss):
        return "softmax", int(loss.num_labels)
    if isinstance(loss, st_losses.CosineSimilarityLoss):
        return "cosine", 0
    if isinstance(loss, st_losses.CoSENTLoss):  # AnglELoss is a CoSENTLoss
        return "cosent", 0
    if isinstance(loss, _IN_BATCH):
        return "in-batch", 0
    return None, 0


def _check_columns(name: str | None, loss: nn.Module, dataset: Dataset) -> str | None:
    """The label column that ``loss`` reads from ``dataset`` (``None``: none); InputError when
    a pair loss has no label column, or an in-batch loss has one."""
    names = dataset.column_names
    column = next((c for c in _LABEL_COLUMNS if c in names), None)
    what = type(loss).__name__
    wanted = "label" if name == "softmax" else "score"
    fits = column is not None and (name != "softmax" or column.startswith("label"))
    if name in ("softmax", *_SCORE_LOSSES) and not (fits and len(names) == 3):
        raise InputError(
            f"{what} reads two sentence columns and a {wanted!r} column; the dataset has "
            f"{names}. Build it with the matching helper (nli_pairs, cosine_pairs) or "
            "rename/select its columns."
        )
    if name == "in-batch" and column is not None:
        raise InputError(
            f"{what} reads (anchor, positive[, negative]) texts and no labels, but the dataset "
            f"has a {column!r} column ({names}): sentence-transformers would pass it as labels. "
            "Drop it (dataset.remove_columns) or build triplets with el.data.mnr_triplets."
        )
    return column


def check_loss_data(loss: nn.Module, dataset: Dataset) -> Dataset:
    """Check the columns ``loss`` reads from ``dataset`` and its labels or scores; return it,
    with a class-label column of whole-number floats (``0.0, 1.0, 2.0``) cast to integers."""
    if not isinstance(dataset, Dataset):
        raise InputError(f"train_dataset must be a datasets.Dataset, not {type(dataset).__name__}")
    if len(dataset) == 0:
        raise InputError("train_dataset is empty; load some rows first")
    name, num_labels = _loss_kind(loss)
    column = _check_columns(name, loss, dataset)
    if name not in ("softmax", *_SCORE_LOSSES) or column is None:
        return dataset
    values = dataset[column]
    if name == "softmax":
        check_class_labels(values, column, num_labels)
        feature = dataset.features.get(column)
        if isinstance(feature, Value) and feature.dtype.startswith("float"):
            return dataset.cast_column(column, Value("int64"))  # 1.0 -> 1: a class index
        return dataset
    if name in _UNIT_SCORE_LOSSES:
        check_scores(values, column, 0.0, 1.0)
    else:
        check_scores(values, column)
    return dataset
