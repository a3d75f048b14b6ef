import pytest
from datasets import Dataset

import embedlab as el


def _groups():
    return Dataset.from_dict(
        {
            "premise": ["p1", "p1", "p1", "p2", "p2", "p3", "p3"],
            "hypothesis": ["e1", "n1", "c1", "e2", "c2", "e3", "n3"],
            "label": [0, 1, 2, 0, 2, 0, 1],
        }
    )


def test_contradiction_triplets_pair_entailment_with_contradiction_of_same_premise():
    hard = el.methods.negatives.contradiction_triplets(_groups())
    assert hard.to_dict() == {
        "anchor": ["p1", "p2"],
        "positive": ["e1", "e2"],
        "negative": ["c1", "c2"],
    }


def test_contradiction_triplets_need_grouped_premises():
    with pytest.raises(el.errors.InputError, match="keeps premise groups"):
        el.methods.negatives.contradiction_triplets(_groups().select([0, 5]))


def test_random_negatives_come_from_other_rows():
    pairs = Dataset.from_dict({"anchor": list("abcdef"), "positive": list("ABCDEF")})
    easy = el.methods.negatives.random_negatives(pairs, seed=3)
    assert all(row["negative"] != row["positive"] for row in easy)
    assert set(easy["negative"]) <= set("ABCDEF")
    assert el.methods.negatives.random_negatives(pairs, seed=3)["negative"] == easy["negative"]


def test_restrict_to_anchors_keeps_order_and_rejects_unknown():
    hard = el.methods.negatives.contradiction_triplets(_groups())
    assert el.methods.negatives.restrict_to_anchors(hard, ["p2", "p1"])["anchor"] == ["p2", "p1"]
    with pytest.raises(el.errors.InputError, match="not in the triplets"):
        el.methods.negatives.restrict_to_anchors(hard, ["p9"])


def test_mined_negatives_are_other_positives_below_the_positive():
    groups = el.load_nli("mnli", "validation_matched", n_rows=600)
    hard = el.methods.negatives.contradiction_triplets(groups)
    judge = el.load_pretrained_model()
    semi = el.methods.negatives.mined_negatives(
        hard, judge, range_min=2, range_max=20, relative_margin=0.05
    )
    assert 0 < len(semi) <= len(hard)
    positives = set(hard["positive"])
    for row in semi:
        assert row["negative"] in positives and row["negative"] != row["positive"]
    pos = el.evaluation.pair_cosines(judge, semi["anchor"], semi["positive"])
    neg = el.evaluation.pair_cosines(judge, semi["anchor"], semi["negative"])
    assert (neg <= pos * 0.95 + 1e-4).all()


def test_mining_settings_are_checked(standin):
    hard = el.methods.negatives.contradiction_triplets(_groups())
    with pytest.raises(el.errors.InputError, match="range_min < range_max"):
        el.methods.negatives.mined_negatives(hard, standin, range_min=5, range_max=5)
    with pytest.raises(el.errors.InputError, match="relative_margin"):
        el.methods.negatives.mined_negatives(hard, standin, relative_margin=1.5)


def test_split_by_premise_keeps_premises_apart():
    groups = _groups()
    train, held = el.data.split_by_premise(groups, n_held_out=1, seed=0)
    assert len(train) + len(held) == len(groups)
    assert not set(train["premise"]) & set(held["premise"])
    with pytest.raises(el.errors.InputError, match="n_held_out=3"):
        el.data.split_by_premise(groups, n_held_out=3)


def test_mining_draws_no_progress_bar(capsys):
    """mine_hard_negatives draws a similarity bar even with verbose=False; embedlab hides it."""
    import embedlab as el

    rows = el.load_nli("mnli", "validation_matched", n_rows=400)
    pairs = el.methods.negatives.contradiction_triplets(rows).select_columns(["anchor", "positive"])
    judge = el.load_pretrained_model(max_seq_length=32)
    el.methods.negatives.mined_negatives(
        pairs, judge, range_min=1, range_max=5, relative_margin=0.0
    )
    err = capsys.readouterr().err
    assert "Computing similarity scores" not in err and "Batches" not in err
    assert "encode_query" not in vars(judge)  # the model is left as it was
