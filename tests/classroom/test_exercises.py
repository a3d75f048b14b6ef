"""The exercise checkers: each accepts a right answer, rejects typical wrong ones with the
expected hint, and never raises, whatever it is given."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.stats import rankdata
from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

import embedlab as el
from embedlab.classroom import exercises as ex
from embedlab.classroom.exercises._core import CheckResult, is_placeholder

ALL_CHECKERS = [name for names in ex.EXERCISES.values() for name in names]


def _placeholder(*args, **kwargs):
    """The skeleton a learner starts from."""
    ...  # your code here


def _raises(*args, **kwargs):
    raise RuntimeError("boom")


GARBAGE = {
    "ellipsis": ...,
    "skeleton": _placeholder,
    "raises": _raises,
    "returns None": lambda *a, **k: None,
    "returns ...": lambda *a, **k: ...,
    "returns text": lambda *a, **k: "hello",
    "returns object": lambda *a, **k: object(),
    "returns nan": lambda *a, **k: float("nan"),
    "returns huge tensor": lambda *a, **k: torch.zeros(3, 3, 3),
    "not callable": 42,
    "a list": [1, 2, 3],
    "a dict of junk": {"x": object()},
}


def _verdict(result, passed: bool, *hints: str) -> None:
    assert isinstance(result, CheckResult)
    assert result.passed is passed, str(result)
    for hint in hints:
        assert hint in result.message, str(result)


# --- the machinery -------------------------------------------------------------------------


def test_every_notebook_checker_is_exported():
    assert len(ALL_CHECKERS) >= 10
    for name in ALL_CHECKERS:
        assert callable(getattr(ex, name)) and name in ex.__all__


@pytest.mark.parametrize("name", ALL_CHECKERS)
@pytest.mark.parametrize("kind", list(GARBAGE))
def test_checkers_never_raise_on_garbage(name, kind):
    result = getattr(ex, name)(GARBAGE[kind])
    assert isinstance(result, CheckResult) and not result.passed
    assert result.message and str(result).startswith(("❌", "✏️"))
    if kind in ("ellipsis", "skeleton", "returns None", "returns ..."):
        assert result.verdict == "not attempted yet"
        assert not result.attempted


@pytest.mark.parametrize("name", ALL_CHECKERS)
def test_checkers_called_without_an_answer_say_not_attempted(name):
    assert getattr(ex, name)().verdict == "not attempted yet"


def test_placeholders_are_recognised():
    def docstring_only(u, v):
        """Cosine."""
        ...

    def real(u, v):
        return u

    assert is_placeholder(...) and is_placeholder(docstring_only) and is_placeholder(_placeholder)
    assert not is_placeholder(real) and not is_placeholder(lambda u: 0) and not is_placeholder(None)


def test_result_reads_well_in_a_notebook():
    passed = CheckResult("cosine", True, "right on 5 pairs.")
    failed = CheckResult("cosine", False, "label 2 should map to 'contradiction'.")
    assert repr(passed) == "✅ cosine: passed. Right on 5 pairs."
    assert str(failed).startswith("❌ cosine: not yet. Label 2")
    assert CheckResult("x", False, "fill it in", attempted=False).verdict == "not attempted yet"


# --- notebook 01 ---------------------------------------------------------------------------


def test_cosine():
    _verdict(ex.check_cosine(lambda u, v: u @ v / np.linalg.norm(u) / np.linalg.norm(v)), True)
    _verdict(ex.check_cosine(lambda u, v: u @ v), False, "dot product", "divide")
    _verdict(
        ex.check_cosine(lambda u, v: 1 - u @ v / np.linalg.norm(u) / np.linalg.norm(v)),
        False,
        "distance",
    )
    _verdict(ex.check_cosine(lambda u, v: u @ v / np.linalg.norm(u)), False, "*both* vectors")
    _verdict(ex.check_cosine(lambda u, v: u * v), False, "one number")
    _verdict(ex.check_cosine(lambda u, v: 1 / 0), False, "ZeroDivisionError")


def _top_pair(embeddings, normalise=True):
    if normalise:
        embeddings = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    scores = embeddings @ embeddings.T
    np.fill_diagonal(scores, -np.inf)
    return np.unravel_index(np.argmax(scores), scores.shape)


def test_most_similar_pair():
    _verdict(ex.check_most_similar_pair(_top_pair), True)
    _verdict(ex.check_most_similar_pair(lambda e: _top_pair(e)[::-1]), True)  # either order
    _verdict(ex.check_most_similar_pair(lambda e: _top_pair(e, False)), False, "dot product")
    _verdict(ex.check_most_similar_pair(lambda e: (0, 0)), False, "most similar to itself")
    _verdict(ex.check_most_similar_pair(lambda e: (0, 99)), False, "not a pair of rows")


def _triplets(reviews, same_topic_positive=False, any_negative=False):
    out = []
    for text, topic, sentiment in reviews:
        positive = next(
            t
            for t, tp, s in reviews
            if s == sentiment and t != text and (tp != topic) ^ same_topic_positive
        )
        negative = next(
            t for t, tp, s in reviews if s != sentiment and (any_negative or tp == topic)
        )
        out.append((text, positive, negative))
    return out


def test_sentiment_triplets():
    _verdict(ex.check_sentiment_triplets(_triplets), True, "48 triplets")
    as_dicts = lambda r: [dict(zip(("anchor", "positive", "negative"), t)) for t in _triplets(r)]  # noqa: E731
    _verdict(ex.check_sentiment_triplets(as_dicts), True)
    _verdict(
        ex.check_sentiment_triplets(lambda r: _triplets(r, same_topic_positive=True)),
        False,
        "same topic (restaurant)",
    )
    _verdict(
        ex.check_sentiment_triplets(lambda r: _triplets(r, any_negative=True)),
        False,
        "is about restaurant",
    )
    _verdict(
        ex.check_sentiment_triplets(lambda r: _triplets(r)[:40]), False, "8 reviews never appear"
    )
    swapped = lambda r: [(a, n, p) for a, p, n in _triplets(r)]  # noqa: E731
    _verdict(ex.check_sentiment_triplets(swapped), False, "must share the anchor's sentiment")
    _verdict(
        ex.check_sentiment_triplets(lambda r: [("a", "b", "c")]), False, "not one of the reviews"
    )


# --- notebook 02 ---------------------------------------------------------------------------


def test_nli_label_mapping():
    _verdict(ex.check_nli_label_mapping(dict(el.data.NLI_LABELS)), True)
    _verdict(ex.check_nli_label_mapping({0: "Entailment ", 1: "neutral", 2: "contradiction"}), True)
    wrong = {0: "entailment", 1: "contradiction", 2: "neutral"}
    _verdict(
        ex.check_nli_label_mapping(wrong),
        False,
        "label 1 should map to 'neutral', you gave 'contradiction'",
    )
    _verdict(
        ex.check_nli_label_mapping({0: "entailment", 1: "neutral", 2: "neutral"}),
        False,
        "label 2 should map to 'contradiction', you gave 'neutral'",
    )
    _verdict(ex.check_nli_label_mapping({"entailment": 0}), False, "names to numbers")
    _verdict(
        ex.check_nli_label_mapping({0: "entailment", 1: "neutral"}), False, "label 2 is missing"
    )
    _verdict(
        ex.check_nli_label_mapping({0: "entailment", 1: ..., 2: ...}), False, "label 1 is still"
    )
    assert ex.check_nli_label_mapping({0: ..., 1: ..., 2: ...}).verdict == "not attempted yet"
    _verdict(ex.check_nli_label_mapping({**el.data.NLI_LABELS, -1: "none"}), False, "remove [-1]")


def _mean_pool(tokens, mask):
    mask = mask.unsqueeze(-1).float()
    return (tokens * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)


def test_mean_pooling():
    _verdict(ex.check_mean_pooling(_mean_pool), True)
    _verdict(ex.check_mean_pooling(lambda t, m: t.mean(dim=1)), False, "averaged the padding")
    _verdict(
        ex.check_mean_pooling(lambda t, m: (t * m.unsqueeze(-1)).sum(dim=1)),
        False,
        "That is the sum",
    )
    _verdict(ex.check_mean_pooling(lambda t, m: t[:, 0]), False, "[CLS] pooling")
    _verdict(ex.check_mean_pooling(lambda t, m: t.mean(dim=2)), False, "over the tokens (dim=1)")
    _verdict(
        ex.check_mean_pooling(lambda t, m: (t * m.unsqueeze(-1)).sum(1) / t.shape[1]),
        False,
        "divided by all 4 positions",
    )


def test_mean_pooling_checker_agrees_with_the_model(standin):
    """The checker's reference is what the stand-in's pooling layer does."""
    features = standin.preprocess(["a short one", "a rather longer sentence than that"])
    with torch.no_grad():
        tokens = standin[0](features)["token_embeddings"]
        pooled = standin(features)["sentence_embedding"]
    assert torch.allclose(_mean_pool(tokens, features["attention_mask"]), pooled, atol=1e-5)


def test_softmax_features():
    right = lambda u, v: torch.cat([u, v, (u - v).abs()], dim=1)  # noqa: E731
    _verdict(ex.check_softmax_features(right), True)
    _verdict(
        ex.check_softmax_features(lambda u, v: torch.cat([u, v, u - v], 1)), False, "absolute value"
    )
    _verdict(
        ex.check_softmax_features(lambda u, v: torch.cat([u, v], 1)), False, "add the third part"
    )
    _verdict(
        ex.check_softmax_features(lambda u, v: torch.cat([(u - v).abs(), u, v], 1)),
        False,
        "wrong order",
    )
    _verdict(
        ex.check_softmax_features(lambda u, v: torch.cat([u, v, (u - v).abs()], 0)), False, "dim=1"
    )
    _verdict(
        ex.check_softmax_features(lambda u, v: torch.cat([u, v, (u - v).abs(), u * v], 1)),
        False,
        "optional fourth part",
    )


# --- notebook 03 ---------------------------------------------------------------------------


def test_similarity_target():
    _verdict(ex.check_similarity_target(lambda label: 1.0 if label == 0 else 0.0), True)
    _verdict(ex.check_similarity_target(lambda label: int(label == 0)), True)  # ints are numbers
    graded = lambda label: {0: 1.0, 1: 0.5, 2: 0.0}[label]  # noqa: E731
    _verdict(
        ex.check_similarity_target(graded), False, "label 1 (neutral) should give 0.0, you gave 0.5"
    )
    _verdict(
        ex.check_similarity_target(lambda label: float(label == 2)), False, "label 0 (entailment)"
    )
    _verdict(ex.check_similarity_target(lambda label: {0: 1.0}[label]), False, "KeyError")


def _cosine_loss(u, v, targets):
    return ((F.cosine_similarity(u, v) - targets) ** 2).mean()


def test_cosine_similarity_loss():
    _verdict(ex.check_cosine_similarity_loss(_cosine_loss), True)
    _verdict(
        ex.check_cosine_similarity_loss(lambda u, v, t: F.mse_loss(F.cosine_similarity(u, v), t)),
        True,
    )
    mae = lambda u, v, t: (F.cosine_similarity(u, v) - t).abs().mean()  # noqa: E731
    _verdict(ex.check_cosine_similarity_loss(mae), False, "*squared* error")
    summed = lambda u, v, t: ((F.cosine_similarity(u, v) - t) ** 2).sum()  # noqa: E731
    _verdict(ex.check_cosine_similarity_loss(summed), False, "mean, not sum")
    dot = lambda u, v, t: (((u * v).sum(1) - t) ** 2).mean()  # noqa: E731
    _verdict(ex.check_cosine_similarity_loss(dot), False, "not their dot product")
    _verdict(
        ex.check_cosine_similarity_loss(lambda u, v, t: _cosine_loss(u, v, t).item()),
        False,
        "no .item()",
    )
    _verdict(
        ex.check_cosine_similarity_loss(lambda u, v, t: _cosine_loss(u, v, t).detach()),
        False,
        "detached",
    )
    _verdict(
        ex.check_cosine_similarity_loss(lambda u, v, t: (F.cosine_similarity(u, v) - t) ** 2),
        False,
        "average over the batch",
    )


def _cosent(u, v, targets, scale=20.0, *, sign=1, zero=True, ties=False):
    cos = F.cosine_similarity(u, v) * scale
    diff = sign * (cos[None, :] - cos[:, None])  # cos_j - cos_i
    mask = targets[:, None] >= targets[None, :] if ties else targets[:, None] > targets[None, :]
    if ties:
        mask &= ~torch.eye(len(targets), dtype=torch.bool)
    terms = diff[mask]
    if zero:
        terms = torch.cat([torch.zeros(1, dtype=terms.dtype), terms])
    return torch.logsumexp(terms, dim=0)


def test_cosent_loss():
    _verdict(ex.check_cosent_loss(_cosent), True)
    _verdict(
        ex.check_cosent_loss(lambda u, v, t, scale=20.0: _cosent(u, v, t, scale, sign=-1)),
        False,
        "sign is flipped",
    )
    _verdict(
        ex.check_cosent_loss(lambda u, v, t, scale=20.0: _cosent(u, v, t, scale, zero=False)),
        False,
        "Add a zero",
    )
    _verdict(
        ex.check_cosent_loss(lambda u, v, t, scale=20.0: _cosent(u, v, t, scale, ties=True)),
        False,
        "equal targets",
    )
    _verdict(
        ex.check_cosent_loss(lambda u, v, t, scale=20.0: _cosent(u, v, t, 20.0)),
        False,
        "scale argument",
    )
    _verdict(
        ex.check_cosent_loss(lambda u, v, t: _cosent(u, v, t)),
        False,
        "unexpected keyword argument 'scale'",
    )


# --- notebook 04 ---------------------------------------------------------------------------


def _mnr(anchors, positives, negatives, scale=20.0):
    candidates = torch.cat([positives, negatives])
    scores = scale * F.cosine_similarity(anchors[:, None], candidates[None], dim=-1)
    return F.cross_entropy(scores, torch.arange(len(anchors)))


def test_mnr_reference_is_cross_entropy_over_scaled_cosines():
    """The checker compares with the library; the library computes the notebook's formula."""
    a, p, n = torch.randn(6, 8), torch.randn(6, 8), torch.randn(6, 8)
    library = MultipleNegativesRankingLoss(None, scale=20.0).compute_loss_from_embeddings(
        [a, p, n], None
    )
    assert torch.allclose(library, _mnr(a, p, n), atol=1e-5)


def test_mnr_loss():
    _verdict(ex.check_mnr_loss(_mnr), True, "gradients flow")
    _verdict(
        ex.check_mnr_loss(lambda a, p, n, scale=20.0: _mnr(a, p, n, 1.0)),
        False,
        "Multiply the cosines by scale",
    )
    _verdict(ex.check_mnr_loss(lambda a, p, n, scale=20.0: _mnr(a, p, n)), False, "scale argument")
    positives_only = lambda a, p, n, scale=20.0: F.cross_entropy(  # noqa: E731
        scale * F.cosine_similarity(a[:, None], p[None], dim=-1), torch.arange(len(a))
    )
    _verdict(ex.check_mnr_loss(positives_only), False, "negatives are candidates too")

    def dot(a, p, n, scale=20.0):
        return F.cross_entropy(scale * a @ torch.cat([p, n]).T, torch.arange(len(a)))

    _verdict(ex.check_mnr_loss(dot), False, "not the dot product")
    own_pair = lambda a, p, n, scale=20.0: F.cross_entropy(  # noqa: E731
        scale * torch.stack([F.cosine_similarity(a, p), F.cosine_similarity(a, n)], 1),
        torch.zeros(len(a), dtype=torch.long),
    )
    _verdict(ex.check_mnr_loss(own_pair), False, "in-batch negatives")
    _verdict(
        ex.check_mnr_loss(lambda a, p, n, scale=20.0: _mnr(a, p, n, scale) * len(a)),
        False,
        "do not sum",
    )
    _verdict(
        ex.check_mnr_loss(lambda a, p, n, scale=20.0: float(_mnr(a, p, n, scale))),
        False,
        "plain float",
    )


def test_hard_negative_triplets():
    _verdict(
        ex.check_hard_negative_triplets(el.methods.negatives.contradiction_triplets),
        True,
        "3 premises",
    )

    def first_rows_only(rows):  # assumes each premise's rows sit together, entailment first
        out, previous = [], None
        for p, h, label in zip(rows["premise"], rows["hypothesis"], rows["label"]):
            if label == 0:
                previous = (p, h)
            elif label == 2 and previous and previous[0] == p:
                out.append((p, previous[1], h))
        return out

    _verdict(ex.check_hard_negative_triplets(first_rows_only), False, "Group all rows by premise")

    def neutral_negatives(rows):
        groups = {}
        for p, h, label in zip(rows["premise"], rows["hypothesis"], rows["label"]):
            groups.setdefault(p, {}).setdefault(label, h)
        return [(p, g[0], g[1]) for p, g in groups.items() if 0 in g and 1 in g]

    _verdict(
        ex.check_hard_negative_triplets(neutral_negatives), False, "a neutral hypothesis (label 1)"
    )

    def random_negatives(rows):
        hard = el.methods.negatives.contradiction_triplets(rows)
        negatives = list(hard["negative"])
        return list(zip(hard["anchor"], hard["positive"], negatives[1:] + negatives[:1]))

    _verdict(ex.check_hard_negative_triplets(random_negatives), False, "easy (random) negative")
    _verdict(ex.check_hard_negative_triplets(lambda rows: rows), False, "name them ['anchor'")


def _semi_hard(similarities, positive, range_min, range_max, margin, *, margin_first=True, pick=0):
    ranked = torch.argsort(similarities, descending=True)
    threshold = positive - abs(positive) * margin
    if margin_first:
        kept = [int(i) for i in ranked[:range_max] if similarities[i] <= threshold]
        kept = kept[range_min:]
    else:
        kept = [int(i) for i in ranked[range_min:range_max] if similarities[i] <= threshold]
    return kept[pick] if kept else None


def test_semi_hard_pick():
    _verdict(ex.check_semi_hard_pick(_semi_hard), True, "all 5 cases")
    no_margin = lambda s, p, lo, hi, m: _semi_hard(s, p, lo, hi, 0.0)  # noqa: E731
    _verdict(ex.check_semi_hard_pick(no_margin), False, "too close to the positive")
    range_first = lambda *a: _semi_hard(*a, margin_first=False)  # noqa: E731
    _verdict(ex.check_semi_hard_pick(range_first), False, "skip the 1 most similar")
    _verdict(ex.check_semi_hard_pick(lambda *a: _semi_hard(*a, pick=-1)), False, "*most* similar")
    _verdict(ex.check_semi_hard_pick(lambda s, *a: float(s[0])), False, "not its similarity")

    def never_none(*args):
        pick = _semi_hard(*args)
        return 0 if pick is None else pick

    _verdict(ex.check_semi_hard_pick(never_none), False, "no candidate qualifies")


# --- notebook 05 ---------------------------------------------------------------------------


def test_spearman():
    right = lambda x, y: np.corrcoef(rankdata(x), rankdata(y))[0, 1]  # noqa: E731
    _verdict(ex.check_spearman(right), True)
    _verdict(
        ex.check_spearman(lambda x, y: np.corrcoef(x, y)[0, 1]), False, "Pearson on the raw values"
    )
    no_ties = lambda x, y: np.corrcoef(np.argsort(np.argsort(x)), np.argsort(np.argsort(y)))[0, 1]  # noqa: E731
    _verdict(ex.check_spearman(no_ties), False, "average rank")
    _verdict(ex.check_spearman(lambda x, y: -right(x, y)), False, "sign is flipped")
    from scipy.stats import spearmanr

    _verdict(ex.check_spearman(lambda x, y: spearmanr(x, y)), False, "correlation only")


def _ap(scores, labels):
    hits = labels[np.argsort(-scores)]
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float((precision * hits).sum() / hits.sum())


def test_average_precision():
    from sklearn.metrics import roc_auc_score

    _verdict(ex.check_average_precision(_ap), True)

    def roc_auc(scores, labels):
        return roc_auc_score(labels, scores)

    def inverted(scores, labels):
        return _ap(scores, 1 - labels)

    def every_rank(scores, labels):
        hits = labels[np.argsort(-scores)]
        return float(np.mean(np.cumsum(hits) / np.arange(1, len(hits) + 1)))

    _verdict(ex.check_average_precision(roc_auc), False, "ROC AUC")
    _verdict(ex.check_average_precision(inverted), False, "label 0 as the positive")
    _verdict(ex.check_average_precision(every_rank), False, "positives only")


# --- TSDAE ---------------------------------------------------------------------------------


def _delete_words(text, ratio=0.6, rng=random):
    words = text.split()
    kept = [word for word in words if rng.random() >= ratio]
    return " ".join(kept or [rng.choice(words)])


def test_deletion_noise():
    _verdict(ex.check_deletion_noise(_delete_words), True, "at least one kept")
    inverted = lambda text, ratio=0.6: _delete_words(text, 1 - ratio) if ratio else text  # noqa: E731
    _verdict(ex.check_deletion_noise(inverted), False, "share to *delete*")
    fixed = lambda text, ratio=0.6: _delete_words(text, 0.6) if ratio else text  # noqa: E731
    _verdict(ex.check_deletion_noise(fixed), False, "rather than a fixed 0.6")

    def may_empty(text, ratio=0.6):
        return " ".join(w for w in text.split() if random.random() >= ratio)  # noqa: E731

    _verdict(ex.check_deletion_noise(may_empty), False, "keep at least one word")
    seeded = lambda text, ratio=0.6: _delete_words(text, ratio, random.Random(1))  # noqa: E731
    _verdict(ex.check_deletion_noise(seeded), False, "damaged the same way every time")
    lowered = lambda text, ratio=0.6: _delete_words(text, ratio).lower()  # noqa: E731
    _verdict(ex.check_deletion_noise(lowered), False, "no lower-casing")
    shuffled = lambda text, ratio=0.6: " ".join(reversed(text.split()))  # noqa: E731
    _verdict(ex.check_deletion_noise(shuffled), False, "in their order")
    _verdict(ex.check_deletion_noise(lambda text, ratio=0.6: text.split()), False, "one string")


def test_deletion_noise_check_leaves_the_learners_random_state_alone():
    random.seed(123)
    expected = random.random()
    random.seed(123)
    ex.check_deletion_noise(_delete_words)
    assert random.random() == expected


# --- Augmented SBERT ------------------------------------------------------------------------


def _pairs_to_label(first, second, labelled, top_k, *, normalise=True, skip_labelled=True):
    if normalise:
        first = first / np.linalg.norm(first, axis=1, keepdims=True)
        second = second / np.linalg.norm(second, axis=1, keepdims=True)
    pairs = []
    for i, row in enumerate(first @ second.T):
        ranked = [
            int(j) for j in np.argsort(-row) if not (skip_labelled and (i, int(j)) in labelled)
        ]
        pairs += [(i, j) for j in ranked[:top_k]]
    return pairs


def test_pairs_to_label():
    _verdict(ex.check_pairs_to_label(_pairs_to_label), True)
    unlabelled = lambda f, s, gold, k: _pairs_to_label(f, s, gold, k, skip_labelled=False)  # noqa: E731
    _verdict(ex.check_pairs_to_label(unlabelled), False, "already labelled (gold)")
    dot = lambda f, s, gold, k: _pairs_to_label(f, s, gold, k, normalise=False)  # noqa: E731
    _verdict(ex.check_pairs_to_label(dot), False, "dot product")
    least = lambda f, s, gold, k: _pairs_to_label(-f, s, gold, k)  # noqa: E731
    _verdict(ex.check_pairs_to_label(least), False, "most similar sentences that are not labelled")
    one = lambda f, s, gold, k: _pairs_to_label(f, s, gold, 1)  # noqa: E731
    _verdict(ex.check_pairs_to_label(one), False, "gets 1 pairs; it should get top_k = 2")
    twice = lambda f, s, gold, k: _pairs_to_label(f, s, gold, k) * 2  # noqa: E731
    _verdict(ex.check_pairs_to_label(twice), False, "listed twice")


def test_unlabelled_sentences():
    def right(rows):
        return list(dict.fromkeys([*rows["premise"], *rows["hypothesis"]]))

    _verdict(ex.check_unlabelled_sentences(right), True, "18 distinct sentences")
    both = lambda rows: list(rows["premise"]) + list(rows["hypothesis"])  # noqa: E731
    _verdict(ex.check_unlabelled_sentences(both), False, "appears 3 times")
    premises = lambda rows: list(dict.fromkeys(rows["premise"]))  # noqa: E731
    _verdict(ex.check_unlabelled_sentences(premises), False, "hypotheses are sentences too")

    def entailed_only(rows):
        kept = [r for r in rows if r["label"] == 0]
        return list(dict.fromkeys([r["premise"] for r in kept] + [r["hypothesis"] for r in kept]))

    _verdict(ex.check_unlabelled_sentences(entailed_only), False, "TSDAE needs no labels")
    _verdict(ex.check_unlabelled_sentences(lambda rows: [1, 2]), False, "strings")


def _gold_plus_silver(gold, silver, *, silver_wins=False):
    rows = {}
    for a, b, score in gold + silver:
        if silver_wins or (a, b) not in rows:
            rows[(a, b)] = score
    return [(a, b, score) for (a, b), score in rows.items()]


def test_gold_plus_silver():
    _verdict(ex.check_gold_plus_silver(_gold_plus_silver), True, "6 rows")
    _verdict(
        ex.check_gold_plus_silver(lambda gold, silver: gold + silver), False, "appears 2 times"
    )
    wins = lambda gold, silver: _gold_plus_silver(gold, silver, silver_wins=True)  # noqa: E731
    _verdict(ex.check_gold_plus_silver(wins), False, "keep gold's label")
    _verdict(ex.check_gold_plus_silver(lambda gold, silver: gold), False, "new silver pair")


def _script(loss=None, batch_size=16, learning_rate=1e-4, train=False):
    from sentence_transformers import (
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.sentence_transformer.losses import CoSENTLoss, CosineSimilarityLoss

    def build_trainer(model, train_dataset, evaluator, output_dir):
        args = SentenceTransformerTrainingArguments(
            output_dir=output_dir,
            num_train_epochs=1,
            per_device_train_batch_size=batch_size,
            learning_rate=learning_rate,
            save_strategy="no",
            eval_strategy="steps",
            eval_steps=5,
            report_to="none",
        )
        chosen = CoSENTLoss(model) if loss == "cosent" else CosineSimilarityLoss(model)
        trainer = SentenceTransformerTrainer(
            model=model, args=args, train_dataset=train_dataset, loss=chosen, evaluator=evaluator
        )
        return trainer.train() if train else trainer

    return build_trainer


def test_training_script():
    _verdict(ex.check_training_script(_script()), True, "trained 10 steps", "went from")
    _verdict(ex.check_training_script(_script(loss="cosent")), False, "CosineSimilarityLoss(model)")
    _verdict(
        ex.check_training_script(_script(batch_size=8)), False, "per_device_train_batch_size=8"
    )
    _verdict(ex.check_training_script(_script(learning_rate=0.0)), False, "learning_rate=0.0")
    _verdict(ex.check_training_script(_script(train=True)), False, "return the trainer itself")


# --- notebook 09 ---------------------------------------------------------------------------


def test_static_encode():
    right = lambda table, ids: torch.stack([table[i].mean(0) for i in ids])  # noqa: E731
    _verdict(ex.check_static_encode(right), True)
    # a set of tokens drops the repeated one: "not not" is not "not"
    deduplicated = lambda table, ids: torch.stack([table[sorted(set(i))].mean(0) for i in ids])  # noqa: E731
    _verdict(ex.check_static_encode(deduplicated), False, "counts twice")
    summed = lambda table, ids: torch.stack([table[i].sum(0) for i in ids])  # noqa: E731
    _verdict(ex.check_static_encode(summed), False, "mean of its rows")
    assert ex.check_static_encode(lambda table, ids: ...).verdict == "not attempted yet"


def test_binary_quantize():
    _verdict(ex.check_binary_quantize(lambda e: np.packbits(e > 0, axis=1)), True)
    zero_is_one = ex.check_binary_quantize(lambda e: np.packbits(e >= 0, axis=1))
    _verdict(zero_is_one, False, "0 itself gives 0")
    unpacked = ex.check_binary_quantize(lambda e: (e > 0).astype(np.uint8))
    _verdict(unpacked, False, "8 dimensions a byte")
    little = ex.check_binary_quantize(lambda e: np.packbits(e > 0, axis=1, bitorder="little"))
    _verdict(little, False, "highest bit")


def test_truncate():
    _verdict(ex.check_truncate(lambda e, d: F.normalize(e[:, :d], dim=-1)), True)
    _verdict(ex.check_truncate(lambda e, d: e[:, :d]), False, "divide each row by its length")
    late = ex.check_truncate(lambda e, d: F.normalize(e, dim=-1)[:, :d])
    _verdict(late, False, "cut first, then normalise")
    _verdict(ex.check_truncate(lambda e, d: F.normalize(e[:, -d:], dim=-1)), False, "first")
    assert ex.check_truncate(lambda e, d: ...).verdict == "not attempted yet"


def _matryoshka(anchors, positives, dims, weights=None, *, cut=lambda t, d: t[:, :d]):
    total = 0.0
    for d, w in zip(dims, weights or [1.0] * len(dims), strict=True):
        a, p = F.normalize(cut(anchors, d), dim=-1), F.normalize(cut(positives, d), dim=-1)
        total = total + w * F.cross_entropy(20.0 * a @ p.T, torch.arange(len(a)))
    return total


def test_matryoshka_loss():
    _verdict(ex.check_matryoshka_loss(_matryoshka), True)
    averaged = lambda a, p, dims, weights=None: _matryoshka(a, p, dims, weights) / len(dims)  # noqa: E731
    _verdict(ex.check_matryoshka_loss(averaged), False, "do not average")

    def last(a, p, dims, weights=None):  # the last d numbers instead of the first
        return _matryoshka(a, p, dims, weights, cut=lambda t, d: t[:, -d:])

    _verdict(ex.check_matryoshka_loss(last), False, "*first* d numbers")
    unweighted = lambda a, p, dims, weights=None: _matryoshka(a, p, dims)  # noqa: E731
    _verdict(ex.check_matryoshka_loss(unweighted), False, "weight")
    assert ex.check_matryoshka_loss(lambda a, p, dims, weights=None: ...).verdict == (
        "not attempted yet"
    )
    # the reference answer is the library's MNR on each cut, weighted and added (MatryoshkaLoss)
    anchors, positives = torch.randn(6, 16), torch.randn(6, 16)
    dims, weights = [16, 8, 4], [1.0, 0.5, 2.0]
    library = sum(
        w
        * MultipleNegativesRankingLoss(None).compute_loss_from_embeddings(
            [anchors[:, :d], positives[:, :d]], None
        )
        for d, w in zip(dims, weights, strict=True)
    )
    assert torch.isclose(_matryoshka(anchors, positives, dims, weights), library)
