import pytest
from datasets import Dataset

import embedlab as el


def test_mnli_has_the_hub_columns():
    mnli = el.load_nli("mnli", "train", n_rows=50)
    assert len(mnli) == 50
    assert {"premise", "hypothesis", "label", "idx"} <= set(mnli.column_names)
    assert set(mnli["label"]) <= {0, 1, 2}


def test_asking_for_more_rows_than_exist_is_a_clear_error():
    with pytest.raises(el.errors.InputError, match=r"asked for 50,000 rows of mnli train.*9,999"):
        el.load_nli("mnli", "train", n_rows=50_000)


def test_bad_arguments():
    with pytest.raises(el.errors.InputError, match="no split 'dev'"):
        el.load_nli("mnli", "dev")
    with pytest.raises(el.errors.InputError, match="n_rows"):
        el.load_stsb("validation", n_rows=0)
    with pytest.raises(el.errors.InputError, match="'mnli' or 'snli'"):
        el.load_nli("stsb")


def test_offline_without_data_says_what_is_missing(monkeypatch):
    monkeypatch.delenv("EMBEDLAB_DATA_DIR")
    with pytest.raises(el.errors.DataUnavailableError, match="EMBEDLAB_DATA_DIR"):
        el.load_stsb()


def test_missing_file_in_data_folder(tmp_path):
    with pytest.raises(
        el.errors.DataUnavailableError, match=r"expected .*stsb[/\\]validation.jsonl"
    ):
        el.load_stsb(folder=tmp_path)


def test_stsb_scores_and_genres():
    stsb = el.load_stsb("validation")
    assert len(stsb) == 1500
    assert 0 <= min(stsb["label"]) and max(stsb["label"]) <= 5
    genres = el.stsb_genres.load_stsb_genres()
    assert genres[("validation", 0)].startswith("main-")


def _nli(labels):
    n = len(labels)
    return Dataset.from_dict(
        {
            "premise": [f"p{i}" for i in range(n)],
            "hypothesis": [f"h{i}" for i in range(n)],
            "label": labels,
        }
    )


def test_cosine_pairs_map_entailment_to_one():
    pairs = el.data.cosine_pairs(_nli([0, 1, 2, 0]))
    assert pairs.column_names == ["sentence1", "sentence2", "score"]
    assert pairs["score"] == [1.0, 0.0, 0.0, 1.0]


def test_nli_pairs_keep_three_labels():
    pairs = el.data.nli_pairs(_nli([2, 1, 0]))
    assert pairs.column_names == ["sentence1", "sentence2", "label"]
    assert pairs["label"] == [2, 1, 0]


def test_labels_out_of_range_are_rejected():
    for builder in (el.data.nli_pairs, el.data.cosine_pairs, el.data.mnr_triplets):
        with pytest.raises(el.errors.InputError, match=r"found \[3\]"):
            builder(_nli([0, 3, 1]))


def test_missing_columns_are_named():
    bad = Dataset.from_dict({"premise": ["a"], "label": [0]})
    with pytest.raises(el.errors.InputError, match=r"lacks column\(s\) \['hypothesis'\]"):
        el.data.cosine_pairs(bad)


def test_triplets_use_entailment_rows_and_other_rows_as_negatives():
    triplets = el.data.mnr_triplets(_nli([0, 1, 0, 2, 0, 0]), seed=1)
    assert triplets.column_names == ["anchor", "positive", "negative"]
    assert len(triplets) == 4
    for row in triplets:
        assert row["positive"] == "h" + row["anchor"][1:]
        assert row["negative"] != row["positive"]
        assert row["negative"] in {"h0", "h2", "h4", "h5"}
    assert (
        el.data.mnr_triplets(_nli([0, 1, 0, 2, 0, 0]), seed=1)["negative"] == triplets["negative"]
    )


def test_graded_pairs_scale_scores_to_unit_interval():
    pairs = el.data.graded_pairs(el.load_stsb("train", n_rows=20))
    assert pairs.column_names == ["sentence1", "sentence2", "score"]
    assert 0 <= min(pairs["score"]) and max(pairs["score"]) <= 1
    bad = Dataset.from_dict({"sentence1": ["a"], "sentence2": ["b"], "label": [7.0]})
    with pytest.raises(el.errors.InputError, match=r"\[0, 5\]"):
        el.data.graded_pairs(bad)


def test_training_rows_join_the_profile_splits_the_same_way_for_every_seed():
    quick = el.data.load_training_nli(el.profiles.QUICK.train_splits)
    assert len(quick) == el.profiles.QUICK.n_train == 39_664
    assert (
        quick["premise"][:5]
        == el.data.load_training_nli(el.profiles.QUICK.train_splits)["premise"][:5]
    )
    assert set(quick.column_names) == {"premise", "hypothesis", "label"}
    snli_premises = set(el.load_nli("snli", "test")["premise"])
    assert any(p in snli_premises for p in quick["premise"][:200])  # shuffled together
    one = el.data.load_training_nli(("mnli/train",), n_rows=10)
    assert one["premise"] == el.load_nli("mnli", "train", n_rows=10)["premise"]  # the book's order


def test_training_rows_beyond_what_exists_or_badly_named_are_clear_errors():
    with pytest.raises(el.errors.InputError, match=r"asked for 50,000 training rows.*39,664"):
        el.data.load_training_nli(el.profiles.QUICK.train_splits, n_rows=50_000)
    with pytest.raises(el.errors.InputError, match="'name/split'"):
        el.data.load_training_nli(("mnli",))
