"""The knob panels of notebooks 06-07: their knobs, checks and the plans they build."""

import dataclasses

import embedlab as el
from embedlab.interactive import panels
from embedlab.interactive.pipeline_panels import augsbert_plan, tsdae_plan
from embedlab.methods import augmentation as aug


def test_pipeline_panels_show_the_knobs_that_teach_them():
    assert panels.recipe_spec("augsbert").knob_names == [
        "pairing", "n_pairs", "n_silver", "epochs", "batch_size", "learning_rate"
    ]  # fmt: skip
    assert panels.recipe_spec("tsdae").knob_names[0] == "deletion_ratio"
    assert panels.recipe_spec("tsdae").knob("n_pairs").label == "training sentences"
    assert panels.recipe_spec("tsdae").knob_names[1] == "pooling"
    quick, full = (
        el.interactive.panels.validate_settings("tsdae", {}, p)
        for p in (el.profiles.QUICK, el.profiles.FULL)
    )
    assert (quick["pooling"], quick["learning_rate"]) == ("mean", 2e-4)  # the small base's
    assert (full["pooling"], full["learning_rate"]) == ("cls", 3e-5)  # the TSDAE paper's
    assert (
        el.interactive.panels.validate_settings("augsbert", {}, el.profiles.FULL)["pairing"]
        == "semantic"
    )


def test_pipeline_panels_refuse_out_of_range_settings():
    for recipe, settings, message in [
        ("tsdae", {"deletion_ratio": 1.0}, "deletion ratio 1 is out of range"),
        ("augsbert", {"n_pairs": 50}, "gold pairs 50 is out of range"),
        ("augsbert", {"pairing": "nearest"}, "silver pairing 'nearest' is not offered"),
    ]:
        try:
            el.interactive.panels.validate_settings(recipe, settings, el.profiles.QUICK)
        except el.errors.InputError as error:
            assert message in str(error)
        else:
            raise AssertionError(f"{settings} was accepted")


def test_tsdae_plan_damages_captions_for_the_chosen_pooling():
    settings = el.interactive.panels.validate_settings(
        "tsdae", {"n_pairs": 64, "deletion_ratio": 0.5, "pooling": "cls"}, el.profiles.QUICK
    )
    plan = tsdae_plan(settings, el.profiles.QUICK)
    assert plan.train_dataset.column_names == ["damaged", "original"]
    assert len(plan.train_dataset) == 64
    row = plan.train_dataset[0]
    assert len(row["damaged"].split()) < len(row["original"].split())
    from embedlab.recipes.tsdae import tsdae_trainer

    assert plan.trainer is tsdae_trainer  # notebook 07's recipe trains it
    assert plan.model[1].get_config_dict()["pooling_mode"] == "cls"
    assert plan.target_evaluator.name.endswith("captions")
    assert plan.extra == {"deletion_ratio": 0.5, "pooling": "cls"}
    assert plan.profile.batch_size == 16


def test_augsbert_plan_trains_a_cross_encoder_and_adds_silver_pairs(monkeypatch):
    from embedlab.recipes import augsbert

    quick = dataclasses.replace(augsbert.TEACHER_QUICK, epochs=1)  # the plan, not its quality
    monkeypatch.setattr(augsbert, "TEACHER_QUICK", quick)
    settings = el.interactive.panels.validate_settings(
        "augsbert", {"pairing": "random", "n_pairs": 200, "n_silver": 100}, el.profiles.QUICK
    )
    plan = augsbert_plan(settings, el.profiles.QUICK)
    assert aug.bi_encoder_loss(el.profiles.QUICK) == "mnr"  # positives only, as notebook 06
    assert plan.train_dataset.column_names == ["anchor", "positive"]
    assert plan.trainer.__name__ == "mnr_trainer"  # notebook 04's recipe, as notebook 06
    assert 0 < plan.extra["n_silver"] <= 100
    silver_positives = round(plan.extra["silver_positive_rate"] * plan.extra["n_silver"])
    assert 0 < len(plan.train_dataset) <= 200 + silver_positives
    assert 0 <= plan.extra["cross_encoder_accuracy"] <= 1
    assert panels.recipe_spec("augsbert").ledger_name(settings) == "panel-augsbert-random"
