"""Checkers for notebook 04: the MNR loss, hard-negative triplets, and picking a semi-hard
negative the way ``mine_hard_negatives`` does.

>>> check_mnr_loss(my_mnr_loss)      # my_mnr_loss(anchors, positives, negatives, scale=20.0)
"""

from __future__ import annotations

import random
from collections.abc import Callable

import torch
import torch.nn.functional as F
from datasets import Dataset
from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

from ._core import Wrong, as_number, as_triplets, call, check_loss, exercise, short

__all__ = ["check_mnr_loss", "check_hard_negative_triplets", "check_semi_hard_pick"]

NOTEBOOK = "04_mnr_loss_and_hard_negatives"


def _mnr_reference(anchors, positives, negatives, scale=20.0):
    loss = MultipleNegativesRankingLoss(None, scale=scale)
    return loss.compute_loss_from_embeddings([anchors, positives, negatives], None)


def _mnr_mistakes(anchors, positives, negatives, scale=20.0):
    def ce(scores):
        return F.cross_entropy(scores, torch.arange(len(anchors)))

    candidates = torch.cat([positives, negatives])
    cos = F.cosine_similarity(anchors[:, None], candidates[None], dim=-1)
    own = torch.stack(
        [
            F.cosine_similarity(anchors, positives, dim=-1),
            F.cosine_similarity(anchors, negatives, dim=-1),
        ],
        dim=1,
    )
    return [
        (ce(cos), "Multiply the cosines by scale (20) before the cross-entropy."),
        (
            ce(anchors @ candidates.T * scale),
            "Use cosine similarity (normalise the embeddings), not the dot product.",
        ),
        (ce(anchors @ candidates.T), "Use scale × cosine similarity, not the raw dot product."),
        (
            ce(cos[:, : len(anchors)] * scale),
            "The negatives are candidates too: score each anchor against torch.cat([positives, negatives]).",
        ),
        (
            F.cross_entropy(own * scale, torch.zeros(len(anchors), dtype=torch.long)),
            "Every positive and negative of the *batch* is a candidate for each anchor (in-batch negatives), not only its own pair.",
        ),
        (
            F.cross_entropy(cos.T[: len(anchors)] * scale, torch.arange(len(anchors))),
            "Rows are anchors and columns candidates: each anchor picks among all candidates.",
        ),
        (
            ce(cos * scale) * len(anchors),
            "Average over the anchors (cross-entropy's default mean), do not sum.",
        ),
        (
            _mnr_reference(anchors, positives, negatives, 20.0),
            "Use the scale argument rather than a fixed 20.",
        ),
    ]


def _mnr_case(seed: int, b: int, d: int, scale: float) -> tuple:
    generator = torch.Generator().manual_seed(seed)
    anchors = torch.randn(b, d, generator=generator)
    positives = anchors + 0.8 * torch.randn(b, d, generator=generator)  # related, as real pairs are
    negatives = torch.randn(b, d, generator=generator)
    description = f"for a batch of {b} random triplets of {d}-number embeddings, scale={scale:g},"
    return (anchors, positives, negatives), {"scale": scale}, description


@exercise(NOTEBOOK, "MNR loss")
def check_mnr_loss(fn: Callable) -> str:
    """Check ``fn(anchors, positives, negatives, scale=20.0) -> loss`` (three (batch, dim) tensors).

    The reference is sentence-transformers' own ``MultipleNegativesRankingLoss``.
    """
    cases = [_mnr_case(10, 4, 8, 20.0), _mnr_case(11, 16, 32, 20.0), _mnr_case(12, 5, 8, 1.0)]
    check_loss(fn, cases, _mnr_reference, _mnr_mistakes)
    return (
        "Matches sentence-transformers' MultipleNegativesRankingLoss on 3 random batches (scale 20 "
        "and 1), and gradients flow. A larger scale sharpens the softmax: the loss punishes "
        "near-misses harder."
    )


# A few MNLI-like premise groups. Rows of one premise are not next to each other, entailment
# does not always come first, some premises lack an entailment or a contradiction.
_TOY_NLI = [
    ("A man is playing a guitar on stage.", "A man is performing music.", 0),
    ("Two kids are building a sandcastle.", "Children are playing on a beach.", 0),
    ("A man is playing a guitar on stage.", "The man is a famous singer.", 1),
    ("A woman is reading a book in the park.", "A woman is outdoors.", 0),
    ("A dog catches a frisbee in the air.", "The dog belongs to a family.", 1),
    ("Two kids are building a sandcastle.", "The kids are asleep at home.", 2),
    ("The train left the station late.", "The train was delayed by snow.", 1),
    ("A man is playing a guitar on stage.", "The man is asleep in bed.", 2),
    ("A woman is reading a book in the park.", "The woman is reading a novel.", 1),
    ("A dog catches a frisbee in the air.", "The dog is sleeping on the sofa.", 2),
    ("Two kids are building a sandcastle.", "Two children play with sand.", 0),
    ("The train left the station late.", "The train left right on time.", 2),
    ("A dog catches a frisbee in the air.", "An animal is playing.", 0),
]


def _toy_nli(seed: int | None) -> Dataset:
    rows = list(_TOY_NLI)
    if seed is not None:
        random.Random(seed).shuffle(rows)
    premise, hypothesis, label = zip(*rows)
    return Dataset.from_dict(
        {"premise": list(premise), "hypothesis": list(hypothesis), "label": list(label)}
    )


_LABEL_NAMES = {0: "an entailed", 1: "a neutral", 2: "a contradicting"}


@exercise(NOTEBOOK)
def check_hard_negative_triplets(fn: Callable) -> str:
    """Check ``fn(nli_rows) -> triplets``: (premise, entailed, contradicting hypothesis).

    ``nli_rows`` is a Dataset with columns premise, hypothesis, label (0, 1, 2), like
    ``el.load_nli(...)``. Every premise with both an entailment and a contradiction must be an
    anchor; the answer may be a Dataset, a list of dicts or a list of tuples.
    """
    label_of = {(p, h): label for p, h, label in _TOY_NLI}
    premise_of = {h: p for p, h, _ in _TOY_NLI}
    with_label = {n: {p for p, _, label in _TOY_NLI if label == n} for n in (0, 2)}
    eligible = with_label[0] & with_label[2]
    for seed in (None, 3):
        order = "in their original order" if seed is None else "shuffled"
        triplets = as_triplets(
            call(fn, _toy_nli(seed), on=f"on {len(_TOY_NLI)} NLI rows {order}"), allow_empty=True
        )
        for anchor, positive, negative in triplets:
            if anchor not in eligible:
                if anchor in premise_of.values():
                    raise Wrong(
                        f"the premise {short(anchor)} has no entailment *and* contradiction, so "
                        "it cannot be an anchor: leave it out."
                    )
                raise Wrong(f"the anchor {short(anchor)} is not a premise: anchors are premises.")
            for role, text, wanted in (("positive", positive, 0), ("negative", negative, 2)):
                label = label_of.get((anchor, text))
                if label == wanted:
                    continue
                if label is None and text in premise_of:
                    kind = (
                        "an easy (random) negative" if role == "negative" else "not entailed by it"
                    )
                    raise Wrong(
                        f"the {role} {short(text)} belongs to another premise, so for "
                        f"{short(anchor)} it is {kind}. Use the hypotheses of the anchor's own premise."
                    )
                if label is None:
                    raise Wrong(f"the {role} {short(text)} is not a hypothesis of {short(anchor)}.")
                raise Wrong(
                    f"for {short(anchor)}, the {role} {short(text)} is {_LABEL_NAMES[label]} "
                    f"hypothesis (label {label}); the {role} must be "
                    f"{'entailed (label 0)' if wanted == 0 else 'a contradiction (label 2)'}."
                )
        missing = sorted(eligible - {a for a, _, _ in triplets})
        if missing:
            raise Wrong(
                f"with the rows {order}, the premise {short(missing[0])} has an entailment and a "
                "contradiction but no triplet. Group all rows by premise first."
            )
    return (
        f"Right on the rows in order and shuffled: one or more triplets for each of the "
        f"{len(eligible)} premises with both labels, none for the others, as "
        "el.methods.negatives.contradiction_triplets does."
    )


def _semi_hard_reference(
    similarities: torch.Tensor,
    positive_similarity: float,
    range_min: int,
    range_max: int,
    relative_margin: float,
) -> int | None:
    ranked = torch.argsort(similarities, descending=True)[:range_max].tolist()
    threshold = positive_similarity - abs(positive_similarity) * relative_margin
    kept = [i for i in ranked if float(similarities[i]) <= threshold]
    return kept[range_min] if len(kept) > range_min else None


def _semi_hard_cases() -> list[tuple[torch.Tensor, float, int, int, float]]:
    generator = torch.Generator().manual_seed(13)
    readable = torch.tensor([0.90, 0.20, 0.85, 0.50, 0.70, 0.10, 0.60, 0.78])
    many = torch.rand(200, generator=generator) * 0.9
    return [
        (readable, 0.80, 1, 5, 0.05),  # 0.90, 0.85, 0.78 are too close to 0.80; skip 0.70
        (readable, 0.80, 0, 5, 0.05),  # range_min 0: the best one left is allowed
        (readable, 0.80, 1, 3, 0.05),  # nothing left in the range: None
        (many, 0.75, 10, 50, 0.05),
        (many, 0.85, 5, 20, 0.20),
    ]


def _index(value: object, n: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, float) or (
        hasattr(value, "is_floating_point") and value.is_floating_point()
    ):
        raise Wrong(
            f"return the candidate's index (a whole number), not its similarity; you returned {short(value)}."
        )
    try:
        index = int(as_number(value, "your function"))
    except Wrong:
        raise Wrong(f"return one index (or None); you returned {short(value)}.") from None
    if not 0 <= index < n:
        raise Wrong(f"{index} is not an index of the {n} candidates.")
    return index


@exercise(NOTEBOOK, "semi-hard pick")
def check_semi_hard_pick(fn: Callable) -> str:
    """Check ``fn(similarities, positive_similarity, range_min, range_max, relative_margin)``.

    ``similarities`` holds the cosine of the anchor with each candidate; the answer is the
    index of the chosen negative, or None when no candidate qualifies.
    """
    for similarities, positive, range_min, range_max, margin in _semi_hard_cases():
        n = len(similarities)
        args = (similarities.clone(), positive, range_min, range_max, margin)
        settings = f"range_min={range_min}, range_max={range_max}, relative_margin={margin}"
        shown = (
            f"similarities {[round(x, 2) for x in similarities.tolist()]}, positive {positive}"
            if n <= 8
            else f"{n} random similarities, positive {positive}"
        )
        on = f"for {shown}, {settings}"
        got = _index(call(fn, *args, on=on), n)
        want = _semi_hard_reference(similarities, positive, range_min, range_max, margin)
        if got == want:
            continue
        threshold = positive - abs(positive) * margin
        if want is None:
            raise Wrong(f"{on}, no candidate qualifies and the answer is None; you chose {got}.")
        hint = f"{on}, the answer is {want} (similarity {float(similarities[want]):.3f}); yours is "
        if got is None:
            raise Wrong(hint + "None, but a candidate qualifies.")
        sim = float(similarities[got])
        hint += f"{got} (similarity {sim:.3f})."
        rank = int((similarities > similarities[got]).sum())
        if sim > threshold:
            hint += (
                f" It is too close to the positive: above {positive} − |{positive}| × {margin} = "
                f"{threshold:.3f}, so it may be another right answer. Drop such candidates first."
            )
        elif rank >= range_max:
            hint += f" It ranks {rank + 1}th; look no further than the {range_max} most similar."
        elif sim > float(similarities[want]):
            hint += (
                " First drop the candidates too close to the positive, then skip the "
                f"{range_min} most similar of those left (range_min)."
            )
        else:
            hint += " Take the *most* similar candidate that is left, not a less similar one."
        raise Wrong(hint)
    return (
        "Right in all 5 cases. mine_hard_negatives(range_min=..., range_max=..., "
        "relative_margin=..., sampling_strategy='top') does this for every anchor at once."
    )
