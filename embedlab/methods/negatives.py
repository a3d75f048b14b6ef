"""Three kinds of negatives for (anchor, positive, negative) triplets: easy, semi-hard, hard.

- **easy** (random): the positive of some other anchor; almost always unrelated.
- **semi-hard** (mined): a text a pretrained embedding model ranks close to the anchor, but
  not too close, found with ``sentence_transformers.util.mine_hard_negatives``.
- **hard** (labelled): related but wrong; here the NLI *contradiction* of the same premise.

All three functions return triplets with columns anchor, positive, negative.

>>> hard = contradiction_triplets(load_nli("mnli", "validation_matched"))
>>> easy = random_negatives(hard, seed=42)              # same anchors, random negatives
>>> semi = mined_negatives(hard, load_pretrained_model())
"""

from __future__ import annotations

import contextlib
import functools
import random
import sys

from datasets import Dataset
from sentence_transformers import SentenceTransformer
from sentence_transformers.util import mine_hard_negatives

from ..data import require_columns, require_nli_labels
from ..errors import InputError

__all__ = [
    "NEGATIVE_KINDS",
    "contradiction_triplets",
    "random_negatives",
    "mined_negatives",
    "quiet_mining",
    "restrict_to_anchors",
]

NEGATIVE_KINDS = ("easy", "semi-hard", "hard")


def contradiction_triplets(dataset: Dataset) -> Dataset:
    """(premise, entailed hypothesis, contradicting hypothesis) for each premise that has both.

    Premises must keep their groups (as in MNLI/SNLI validation and test); in a random sample
    of train few do, and this raises if none is found.
    """
    require_columns(dataset, ["premise", "hypothesis", "label"])
    require_nli_labels(dataset)
    entailed: dict[str, str] = {}
    contradicted: dict[str, str] = {}
    for premise, hypothesis, label in zip(
        dataset["premise"], dataset["hypothesis"], dataset["label"], strict=True
    ):
        if label == 0:
            entailed.setdefault(premise, hypothesis)
        elif label == 2:
            contradicted.setdefault(premise, hypothesis)
    anchors = [p for p in entailed if p in contradicted]
    if not anchors:
        raise InputError(
            "no premise has both an entailment and a contradiction hypothesis; use a split that "
            "keeps premise groups (MNLI validation_matched, SNLI validation or test)"
        )
    return Dataset.from_dict(
        {
            "anchor": anchors,
            "positive": [entailed[p] for p in anchors],
            "negative": [contradicted[p] for p in anchors],
        }
    )


def random_negatives(pairs: Dataset, *, seed: int = 42) -> Dataset:
    """Triplets whose negative is the positive of another, randomly chosen anchor."""
    require_columns(pairs, ["anchor", "positive"])
    anchors, positives = list(pairs["anchor"]), list(pairs["positive"])
    if len(anchors) < 2:
        raise InputError("need at least two (anchor, positive) rows to draw random negatives")
    if len(set(positives)) < 2:  # a negative must differ from the row's own positive
        raise InputError(
            f"all {len(positives)} rows have the same positive, so no row can take another's "
            "positive as its negative; use rows with at least 2 distinct positives"
        )
    rng = random.Random(seed)
    negatives = []
    for i in range(len(anchors)):
        j = rng.randrange(len(anchors))
        while j == i or positives[j] == positives[i]:
            j = rng.randrange(len(anchors))
        negatives.append(positives[j])
    return Dataset.from_dict({"anchor": anchors, "positive": positives, "negative": negatives})


@contextlib.contextmanager
def quiet_mining(model: SentenceTransformer):
    """Hide the progress bars ``mine_hard_negatives`` draws even with ``verbose=False`` (it
    encodes with ``show_progress_bar=True`` and ranks through tqdm's ``trange``)."""
    module = sys.modules[mine_hard_negatives.__module__]
    original_trange = getattr(module, "trange", None)
    if original_trange is not None:
        module.trange = lambda *args, **kwargs: range(*args)
    for name in ("encode_document", "encode_query"):
        method = getattr(model, name)
        setattr(model, name, functools.partial(_without_bar, method))
    try:
        yield
    finally:
        if original_trange is not None:
            module.trange = original_trange
        for name in ("encode_document", "encode_query"):
            delattr(model, name)  # back to the class's method


def _without_bar(method, *args, **kwargs):
    return method(*args, **{**kwargs, "show_progress_bar": False})


def mined_negatives(
    pairs: Dataset,
    model: SentenceTransformer,
    *,
    range_min: int = 10,
    range_max: int = 50,
    relative_margin: float = 0.05,
    corpus: list[str] | None = None,
) -> Dataset:
    """Semi-hard negatives mined with ``model`` through ``mine_hard_negatives``.

    For each anchor the corpus (default: every positive) is ranked by cosine similarity;
    candidates ranked ``range_min``..``range_max`` are considered (the very top is skipped,
    since it is likely another right answer), and a candidate is kept only if its similarity
    is at least ``relative_margin`` (5%) below that of the true positive. The most similar
    candidate left becomes the negative. Anchors without one are dropped.
    """
    require_columns(pairs, ["anchor", "positive"])
    if not 0 <= range_min < range_max:
        raise InputError(f"need 0 <= range_min < range_max, got {range_min} and {range_max}")
    if not 0 <= relative_margin < 1:
        raise InputError(f"relative_margin must be in [0, 1), got {relative_margin}")
    with quiet_mining(model):
        mined = mine_hard_negatives(
            pairs.select_columns(["anchor", "positive"]),
            model,
            anchor_column_name="anchor",
            positive_column_name="positive",
            corpus=corpus,
            range_min=range_min,
            range_max=range_max,
            relative_margin=relative_margin,
            num_negatives=1,
            sampling_strategy="top",
            output_format="triplet",
            batch_size=64,
            verbose=False,
        )
    return mined


def restrict_to_anchors(triplets: Dataset, anchors: list[str]) -> Dataset:
    """The rows of ``triplets`` for ``anchors``, in that order (first row per anchor)."""
    require_columns(triplets, ["anchor"])
    position: dict[str, int] = {}
    for i, anchor in enumerate(triplets["anchor"]):
        position.setdefault(anchor, i)
    missing = [a for a in anchors if a not in position]
    if missing:
        raise InputError(f"{len(missing)} anchors are not in the triplets, e.g. {missing[0]!r}")
    return triplets.select([position[a] for a in anchors])
