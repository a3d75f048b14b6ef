import shutil

import pytest
import torch
from datasets import Dataset

import embedlab as el
from embedlab.methods import augmentation as aug


def _gold():
    return Dataset.from_dict(
        {
            "sentence1": ["a cat sleeps", "a dog runs", "stocks fell", "it rains"],
            "sentence2": ["a kitten naps", "a puppy plays", "markets dropped", "the sun shines"],
            "score": [1.0, 1.0, 1.0, 0.0],
        }
    )


def test_random_pairs_are_new_and_reproducible():
    pairs = aug.random_pairs(_gold(), 6, seed=1)
    assert len(pairs) == 6
    gold_pairs = set(zip(_gold()["sentence1"], _gold()["sentence2"], strict=True))
    assert not set(zip(pairs["sentence1"], pairs["sentence2"], strict=True)) & gold_pairs
    assert aug.random_pairs(_gold(), 6, seed=1).to_dict() == pairs.to_dict()
    with pytest.raises(el.errors.InputError, match="cannot make"):
        aug.random_pairs(_gold(), 100)


def test_semantic_pairs_prefer_similar_sentences():
    pairs = aug.semantic_pairs(_gold(), el.load_pretrained_model(), top_k=1)
    chosen = dict(zip(pairs["sentence1"], pairs["sentence2"], strict=True))
    assert chosen["a cat sleeps"] == "a puppy plays"  # its own kitten pair is gold, so skipped
    with pytest.raises(el.errors.InputError, match="top_k"):
        aug.semantic_pairs(_gold(), el.load_pretrained_model(), top_k=0)


def test_gold_plus_silver_drops_repeated_pairs():
    silver = Dataset.from_dict(
        {
            "sentence1": ["a cat sleeps", "x"],
            "sentence2": ["a kitten naps", "y"],
            "score": [0.0, 1.0],
        }
    )
    merged = aug.gold_plus_silver(_gold(), silver)
    assert len(merged) == 5
    assert merged["score"][0] == 1.0  # gold wins over silver for the same pair


def test_given_pairs_keep_the_nli_rows():
    rows = el.load_nli("mnli", "train", n_rows=5)
    pairs = aug.given_pairs(rows)
    assert pairs["sentence1"] == rows["premise"] and pairs["sentence2"] == rows["hypothesis"]


def test_labelling_and_report_with_a_cross_encoder():
    cross_encoder = el.models.load_cross_encoder(num_labels=1)
    silver = aug.label_pairs(cross_encoder, _gold().select_columns(["sentence1", "sentence2"]))
    assert set(silver["score"]) <= {0.0, 1.0}
    report = aug.classification_report(cross_encoder, _gold())
    assert report["majority_baseline"] == 0.75 and 0 <= report["accuracy"] <= 1
    assert report["true_positive_rate"] == 0.75


def test_the_teachers_gold_needs_both_classes_and_0_1_scores():
    one_class = _gold().select([0, 1, 2])
    with pytest.raises(el.errors.InputError, match="both classes"):
        aug.check_gold_pairs(one_class)
    graded = _gold().map(lambda row: {"score": 0.5})
    with pytest.raises(el.errors.InputError, match="0.0 or 1.0"):
        aug.check_gold_pairs(graded)
    aug.check_gold_pairs(_gold())  # both classes: no error


def test_notebook_06s_teacher_recipe_trains_a_cross_encoder(tmp_path):
    from embedlab.recipes.augsbert import TeacherSettings, teacher_trainer

    base, _ = aug.cross_encoder_base(el.profiles.QUICK)
    settings = TeacherSettings(epochs=1, batch_size=2, learning_rate=1e-4, max_length=32)
    trainer = teacher_trainer(base, _gold(), el.profiles.QUICK, settings, output_dir=str(tmp_path))
    before = [p.detach().clone() for p in trainer.model.parameters()]
    trainer.train()
    assert trainer.state.global_step == 2  # 4 gold pairs in batches of 2
    after = list(trainer.model.parameters())
    assert any(not torch.equal(b, a) for b, a in zip(before, after, strict=True))
    assert trainer.model.num_labels == 1


def test_the_teacher_starts_from_minilm_offline_and_in_the_quick_profile():
    for profile in (
        el.profiles.QUICK,
        el.profiles.FULL,
    ):  # offline, bert-base-uncased (full) is not at hand
        path, name = aug.cross_encoder_base(profile)
        assert name == "all-MiniLM-L6-v2" and path == el.models.pretrained_model_path()
    from embedlab.recipes.augsbert import TEACHER_FULL, TEACHER_QUICK, TeacherSettings

    assert TeacherSettings.of(el.profiles.QUICK) is TEACHER_QUICK != TEACHER_FULL
    assert TeacherSettings.of(el.profiles.FULL) is TEACHER_FULL
    assert TeacherSettings.of(el.profiles.QUICK.with_changes(name="colab")) is TEACHER_QUICK


def test_the_teacher_starts_from_a_lab_kits_copy_of_the_full_base(tmp_path, monkeypatch):
    kit_copy = tmp_path / "kit" / "models" / "bert-base-uncased"
    shutil.copytree(el.models.quick_base_path(), kit_copy)  # a BERT in the kit's layout
    monkeypatch.setenv("EMBEDLAB_DATA_DIR", str(tmp_path / "kit"))
    path, name = aug.cross_encoder_base(el.profiles.FULL)
    assert (path, name) == (str(kit_copy), "bert-base-uncased")


def test_graded_silver_keeps_the_teachers_probabilities():
    cross_encoder = el.models.load_cross_encoder(num_labels=1)
    pairs = _gold().select_columns(["sentence1", "sentence2"])
    graded = aug.label_pairs(cross_encoder, pairs, graded=True)["score"]
    hard = aug.label_pairs(cross_encoder, pairs)["score"]
    assert all(0.0 < g < 1.0 for g in graded)
    assert hard == [1.0 if g >= 0.5 else 0.0 for g in graded]


def test_cross_encoder_record_and_speed_comparison(standin):
    cross_encoder = el.models.load_cross_encoder(num_labels=1)
    report = aug.classification_report(cross_encoder, _gold())
    record = el.training.run.record_cross_encoder(
        notebook="t",
        profile=el.profiles.QUICK,
        base_name="x",
        n_train=4,
        report=report,
        info={"seconds": 1.0, "peak_memory_mb": 2.0},
        settings={"epochs": 1},
    )
    assert (
        el.training.ledger.latest_run("cross-encoder")["accuracy"]
        == record["accuracy"]
        == report["accuracy"]
    )
    speed = aug.speed_comparison(standin, cross_encoder, _gold())
    assert speed["n_pairs"] == 4 and speed["bi_seconds"] > 0 and speed["cross_seconds"] > 0
    assert speed["search_10k_cross_seconds"] > speed["search_10k_bi_seconds"]


def test_the_bi_encoder_trains_on_positives_with_mnr_and_on_scores_with_cosine():
    from embedlab.recipes.augsbert import bi_encoder_recipe
    from embedlab.recipes.cosine import cosine_trainer
    from embedlab.recipes.mnr import mnr_trainer

    assert bi_encoder_recipe(el.profiles.QUICK) == ("mnr", mnr_trainer)
    assert bi_encoder_recipe(el.profiles.FULL) == ("cosine", cosine_trainer)
    assert bi_encoder_recipe(el.profiles.QUICK.with_changes(name="colab"))[0] == "mnr"
    positives = aug.bi_encoder_dataset(_gold(), "mnr")
    assert positives.column_names == ["anchor", "positive"]
    assert positives["anchor"] == ["a cat sleeps", "a dog runs", "stocks fell"]  # score 0 dropped
    graded = _gold().map(lambda row: {"score": row["score"] * 0.6})  # 0.6 counts as positive
    assert len(aug.positive_pairs(graded)) == 3
    assert aug.bi_encoder_dataset(_gold(), "cosine").to_dict() == _gold().to_dict()
    negatives_only = _gold().select([3])
    with pytest.raises(el.errors.InputError, match="no pair has a score of 0.5"):
        aug.positive_pairs(negatives_only)
