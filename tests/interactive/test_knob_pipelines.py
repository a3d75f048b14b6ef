"""The knob panels of notebooks 06-07, built by their notebook cells on stand-in data."""

from notebook_panels import build_panel

import embedlab as el
from embedlab.interactive import knobs
from embedlab.methods import augmentation as aug
from embedlab.methods import tsdae
from embedlab.recipes.mnr import mnr_trainer
from embedlab.recipes.tsdae import TSDAE_FULL, TSDAE_QUICK, tsdae_trainer

QUICK = el.profiles.QUICK


def augsbert_panel():
    pairs = el.data.cosine_pairs(el.data.load_training_nli(QUICK.train_splits, n_rows=400))
    gold, new = pairs.select(range(200)), pairs.select(range(200, 400))
    silver = {"given": new, "random": new.select(range(150)), "semantic": new}
    return build_panel(
        "06_augmented_sbert",
        gold=gold,
        silver=silver,
        oracle=new,
        aug=aug,
        BI_LOSS="mnr",
        bi_encoder_trainer=mnr_trainer,
    ), gold


def tsdae_panel(settings):
    sentences = tsdae.unlabelled_sentences(el.load_nli("snli", "train", n_rows=400), 200)
    return build_panel(
        "07_tsdae_domain_adaptation",
        sentences=sentences,
        tsdae=tsdae,
        tsdae_trainer=tsdae_trainer,
        captions=el.evaluation.stsb_evaluator(genre="main-captions"),
        TSDAE=settings,
    )


def test_the_augsbert_panel_trains_the_bi_encoder_on_gold_plus_the_chosen_new_pairs():
    spec, gold = augsbert_panel()
    assert spec.knob_names == ["pairing", "n_pairs", "epochs", "batch_size", "learning_rate"]
    assert spec.knob("pairing").choices == ("given", "random", "semantic", "oracle")
    # the smallest set bounds the new pairs, so that every pairing can be chosen
    assert knobs.knob_bounds(spec.knob("n_pairs"), QUICK) == (32, 150)
    settings = knobs.validate_settings(spec, {"pairing": "random", "n_pairs": 100}, QUICK)
    plan = spec.build(settings, QUICK)
    assert plan.train_dataset.column_names == ["anchor", "positive"]
    assert plan.trainer is mnr_trainer
    assert plan.extra["n_gold"] == 200 and 0 < plan.extra["n_silver"] <= 100
    assert spec.ledger_name(settings) == "panel-augsbert-random"
    assert (plan.profile.batch_size, plan.profile.learning_rate) == (32, QUICK.learning_rate)


def test_the_tsdae_panel_damages_captions_for_the_chosen_pooling():
    spec = tsdae_panel(TSDAE_QUICK)
    assert spec.knob_names[:2] == ["deletion_ratio", "pooling"]
    assert spec.knob("n_pairs").label == "training sentences"
    tsdae_profile = TSDAE_QUICK.training_profile(QUICK)  # what notebook 07 passes
    defaults = knobs.default_settings(spec, tsdae_profile)
    assert (defaults["pooling"], defaults["learning_rate"], defaults["batch_size"]) == (
        "mean",
        TSDAE_QUICK.learning_rate,
        TSDAE_QUICK.batch_size,
    )
    assert knobs.default_settings(tsdae_panel(TSDAE_FULL), QUICK)["pooling"] == "cls"
    settings = knobs.validate_settings(
        spec, {"n_pairs": 64, "deletion_ratio": 0.5, "pooling": "cls"}, tsdae_profile
    )
    plan = spec.build(settings, tsdae_profile)
    assert plan.train_dataset.column_names == ["damaged", "original"]
    assert len(plan.train_dataset) == 64
    row = plan.train_dataset[0]
    assert len(row["damaged"].split()) < len(row["original"].split())
    assert plan.trainer is tsdae_trainer  # notebook 07's recipe trains it
    assert plan.model[1].get_config_dict()["pooling_mode"] == "cls"
    assert plan.target_evaluator.name.endswith("captions")
    assert plan.extra == {"deletion_ratio": 0.5, "pooling": "cls"}
    for bad, message in [
        ({"deletion_ratio": 1.0}, "deletion ratio 1 is out of range"),
        ({"batch_size": 128}, "batch size 128 is out of range"),
        ({"pooling": "max"}, "pooling 'max' is not offered"),
    ]:
        try:
            knobs.validate_settings(spec, bad, tsdae_profile)
        except el.errors.InputError as error:
            assert message in str(error)
        else:
            raise AssertionError(f"{bad} was accepted")
