"""Checkers for notebook 05: the two scores that say whether fine-tuning paid off.

- Spearman correlation: STS-B's headline number (``spearman_cosine``);
- average precision: how well cosine separates entailed from contradicting hypotheses
  (``nli-pairs_cosine_ap``).

>>> check_spearman(my_spearman)          # my_spearman(x, y) -> float
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._core import Wrong, as_number, call, close, exercise

__all__ = ["check_spearman", "check_average_precision"]

NOTEBOOK = "05_finetuning_pretrained"


def _spearman_cases() -> list[tuple[np.ndarray, np.ndarray, str]]:
    rng = np.random.default_rng(5)
    x = np.array([0.1, 0.4, 0.35, 0.8, 0.6])
    scores = rng.integers(0, 26, size=60) / 5  # STS-B-like human scores 0-5, many ties
    return [
        (x, np.array([1.0, 2.0, 3.0, 5.0, 4.0]), "5 cosines and 5 scores"),
        (x, np.exp(10 * x), "y = exp(10x), which grows whenever x grows"),
        (rng.normal(size=60), scores, "60 cosines and 60 human scores with ties"),
        (rng.normal(size=200), rng.normal(size=200), "200 random pairs"),
    ]


@exercise(NOTEBOOK, "Spearman correlation")
def check_spearman(fn: Callable) -> str:
    """Check ``fn(x, y) -> float``: the Spearman rank correlation of two 1-D arrays."""
    from scipy.stats import pearsonr, spearmanr

    for x, y, description in _spearman_cases():
        value = call(fn, x.copy(), y.copy(), on=f"for {description}")
        if isinstance(value, tuple) or hasattr(value, "pvalue"):
            raise Wrong(
                "return the correlation only, one number (scipy's result also holds a p-value)."
            )
        got = as_number(value, "your function")
        want = float(spearmanr(x, y).statistic)
        if close(got, want):
            continue
        hint = f"for {description}, Spearman is {want:.4f}, yours is {got:.4f}."
        if close(got, float(pearsonr(x, y).statistic)):
            hint += " That is Pearson on the raw values: replace each array by its ranks first."
        elif close(got, -want):
            hint += " The sign is flipped: rank both arrays in the same direction."
        elif len(np.unique(y)) < len(y) or len(np.unique(x)) < len(x):
            hint += (
                " These scores have ties: tied values must share their average rank "
                "(scipy.stats.rankdata does this; argsort of argsort does not)."
            )
        raise Wrong(hint)
    return (
        "Matches scipy.stats.spearmanr, ties included: Pearson correlation of the ranks. The "
        "STS-B evaluator reports exactly this between cosines and human scores (spearman_cosine)."
    )


def _ap_cases() -> list[tuple[np.ndarray, np.ndarray, str]]:
    rng = np.random.default_rng(6)
    labels = rng.integers(0, 2, size=300)
    return [
        (
            np.array([0.9, 0.8, 0.3, 0.2]),
            np.array([1, 1, 0, 0]),
            "scores [0.9, 0.8, 0.3, 0.2], labels [1, 1, 0, 0]",
        ),
        (
            np.array([0.9, 0.8, 0.7, 0.6]),
            np.array([1, 0, 1, 0]),
            "scores [0.9, 0.8, 0.7, 0.6], labels [1, 0, 1, 0]",
        ),
        (
            np.array([0.2, 0.9, 0.5, 0.4, 0.7]),
            np.array([1, 0, 1, 0, 0]),
            "scores [0.2, 0.9, 0.5, 0.4, 0.7], labels [1, 0, 1, 0, 0]",
        ),
        (
            rng.normal(size=300) + labels,
            labels,
            "300 random cosines, entailed ones higher on average",
        ),
    ]


@exercise(NOTEBOOK)
def check_average_precision(fn: Callable) -> str:
    """Check ``fn(scores, labels) -> float``: average precision, label 1 the positive class."""
    from sklearn.metrics import accuracy_score, average_precision_score, roc_auc_score

    for scores, labels, description in _ap_cases():
        got = as_number(
            call(fn, scores.copy(), labels.copy(), on=f"for {description}"), "your function"
        )
        want = float(average_precision_score(labels, scores))
        if close(got, want):
            continue
        hint = f"for {description}, the average precision is {want:.4f}, yours is {got:.4f}."
        order = np.argsort(-scores)
        hits = labels[order]
        precision_at = np.cumsum(hits) / np.arange(1, len(hits) + 1)
        if close(got, float(roc_auc_score(labels, scores))):
            hint += " That is ROC AUC; AP averages the precision at the rank of each positive."
        elif close(got, float(average_precision_score(1 - labels, scores))):
            hint += " You treated label 0 as the positive class; label 1 (entailed) is positive."
        elif close(got, float(precision_at.mean())):
            hint += " Average the precision at the ranks of the positives only, not at every rank."
        elif close(got, float(accuracy_score(labels, scores > 0.5))):
            hint += " That is accuracy at a threshold; AP needs no threshold: rank by score."
        raise Wrong(hint)
    return (
        "Matches sklearn's average_precision_score: rank the pairs by cosine, average the "
        "precision at each positive. Notebook 05's nli-pairs_cosine_ap is this number."
    )
