"""Knob panels: the cells that build them in notebooks 02-07, and the checks and runs they share."""

import functools

import matplotlib

matplotlib.use("Agg")
import pytest
from datasets import Dataset
from notebook_panels import build_panel
from sentence_transformers.sentence_transformer.losses import CoSENTLoss, CosineSimilarityLoss

import embedlab as el
from embedlab.evaluation import stsb_evaluator
from embedlab.interactive import knobs
from embedlab.interactive.knobs import panel_profile
from embedlab.recipes.cosine import cosine_trainer
from embedlab.recipes.finetune import finetune_settings
from embedlab.recipes.mnr import mnr_trainer
from embedlab.recipes.softmax import softmax_trainer
from embedlab.training.recipes import RECIPES, get_recipe

QUICK = el.profiles.QUICK
COMPARISON = get_recipe("softmax").settings(QUICK)  # notebooks 02-03's profile


@pytest.fixture()
def small_sts():
    """200 STS-B validation pairs: enough to see a change, quick to score three times a run."""
    return stsb_evaluator(rows=list(range(200)))


def _rows(n: int) -> Dataset:
    return el.data.load_training_nli(QUICK.train_splits, n_rows=n)


def softmax_panel(train_dataset):
    return build_panel(
        "02_softmax_loss", train_dataset=train_dataset, softmax_trainer=softmax_trainer
    )


def cosine_panel(train_dataset):
    return build_panel(
        "03_cosine_similarity_loss",
        train_dataset=train_dataset,
        cosine_trainer=cosine_trainer,
        CosineSimilarityLoss=CosineSimilarityLoss,
        CoSENTLoss=CoSENTLoss,
    )


def mnr_panel(soft_triplets, hard):
    anchors = list(hard["anchor"])
    negatives = {"easy": hard, "semi-hard": hard, "hard": hard}
    return build_panel(
        "04_mnr_loss_and_hard_negatives",
        soft_triplets=soft_triplets,
        negatives=negatives,
        anchors=anchors,
        mnr_trainer=mnr_trainer,
    )


def finetune_panel(triplets, hard):
    return build_panel(
        "05_finetuning_pretrained",
        triplets=triplets,
        hard=hard,
        controls=hard,
        mnr_trainer=mnr_trainer,
    )


def _hard(n: int) -> Dataset:
    groups = el.load_nli("mnli", "validation_matched", n_rows=2000)
    return el.methods.negatives.contradiction_triplets(groups).select(range(n))


@pytest.mark.parametrize(
    "panel, recipe, profile",
    [
        ("softmax", "softmax", COMPARISON),
        ("cosine", "cosine", COMPARISON),
        ("mnr", "mnr-soft", QUICK),
        ("finetune", "finetune-mnr", finetune_settings(QUICK)),
    ],
)
def test_a_panel_at_its_defaults_plans_its_notebooks_recipe(panel, recipe, profile, tmp_path):
    """Left at its defaults, a notebook's panel trains what the notebook trains: its rows, loss
    and settings (epochs, batch size, learning rate, warm-up). The plan only; no training."""
    book = get_recipe(recipe)
    data = book.training_set(QUICK)
    spec = {
        "softmax": lambda: softmax_panel(data),
        "cosine": lambda: cosine_panel(data),
        "mnr": lambda: mnr_panel(data, data.select(range(40))),
        "finetune": lambda: finetune_panel(data, data),
    }[panel]()
    settings = knobs.validate_settings(spec, {}, profile)
    if panel == "mnr":  # it starts at the anchors every set shares; all soft triplets: the recipe
        settings = knobs.validate_settings(spec, {"n_pairs": len(data)}, profile)
    plan = spec.build(settings, profile)
    assert spec.notebook == book.notebook
    assert plan.train_dataset.to_dict() == data.to_dict()
    assert plan.profile == book.settings(QUICK)  # warm-up, seed, max length... all of it
    unused, scratch = stsb_evaluator(rows=[0, 1]), str(tmp_path)
    ours = plan.trainer(plan.model, plan.train_dataset, plan.profile, unused, output_dir=scratch)
    theirs = book.trainer(
        book.load_model(plan.profile), data, book.settings(QUICK), unused, output_dir=scratch
    )
    assert type(ours.loss) is type(theirs.loss)
    assert ours.args.to_dict() == theirs.args.to_dict()


def test_the_panels_show_the_knobs_their_notebook_teaches():
    pairs = el.data.nli_pairs(_rows(400))
    cosine = cosine_panel(el.data.cosine_pairs(_rows(400)))
    hard = _hard(40)
    soft = el.data.mnr_triplets(_rows(400))
    common = ["n_pairs", "epochs", "batch_size", "learning_rate"]
    assert softmax_panel(pairs).knob_names == common
    assert cosine.knob_names == ["loss", *common]
    assert cosine.knob("loss").choices == ("cosine", "cosent", "angle")
    mnr = mnr_panel(soft, hard)
    assert mnr.knob_names == ["negatives", *common]
    assert mnr.knob("negatives").choices == ("none", "soft", "easy", "semi-hard", "hard")
    defaults = knobs.default_settings(mnr, QUICK)
    assert (defaults["negatives"], defaults["n_pairs"]) == ("soft", 40)  # every set has 40
    assert knobs.knob_bounds(mnr.knob("n_pairs"), QUICK) == (32, len(soft))
    finetune = finetune_panel(soft.select(range(64)), hard)
    assert finetune.knob("negatives").choices == ("soft", "hard", "random", "none")
    assert knobs.knob_bounds(finetune.knob("learning_rate"), QUICK) == (1e-6, 1e-3)
    # a notebook's profile gives the defaults: 02 and 03 pass the loss comparison's
    assert knobs.default_settings(softmax_panel(pairs), COMPARISON) == {
        "n_pairs": 400,
        "epochs": COMPARISON.epochs,
        "batch_size": COMPARISON.batch_size,
        "learning_rate": COMPARISON.learning_rate,
    }


def test_panel_profile_is_the_notebooks_at_its_settings_else_scales_the_warm_up():
    same = {"epochs": 1, "batch_size": 32, "learning_rate": 1e-4}  # the quick profile's
    assert panel_profile(same, 39_664, QUICK, recipe_rows=39_664) is QUICK
    # 1,240 steps: a tenth is more than the profile's 100 warm-up steps, which stay
    faster = panel_profile({**same, "learning_rate": 1e-3}, 39_664, QUICK, recipe_rows=39_664)
    assert (faster.learning_rate, faster.warmup_steps) == (1e-3, 100)
    # 32 steps: a tenth of them
    short = panel_profile(same, 1000, QUICK, recipe_rows=39_664)
    assert short == QUICK.with_changes(warmup_steps=3)
    assert panel_profile(same, 39_664, QUICK).warmup_steps == 100  # no recipe: scaled


def test_quick_bounds_are_smaller_than_full():
    knob = knobs.KNOBS["batch_size"]
    assert knobs.knob_bounds(knob, QUICK)[1] > knobs.knob_bounds(knob, el.profiles.FULL)[1]
    rate = knobs.KNOBS["learning_rate"]
    assert knobs.knob_bounds(rate, QUICK)[1] > knobs.knob_bounds(rate, el.profiles.FULL)[1]


@pytest.mark.parametrize(
    "settings, message",
    [
        (
            {"n_pairs": 10},
            "training pairs 10 is out of range for the quick profile: choose a value from 32 "
            "to 400",
        ),
        ({"learning_rate": 0.5}, "learning rate 0.5 is out of range"),
        ({"epochs": 0}, "epochs 0 is out of range"),
        ({"epochs": 1.5}, "epochs must be a whole number"),
        ({"batch_size": "big"}, "batch size must be a number"),
        ({"batch_size": 64, "n_pairs": 40}, "batch size 64 is larger than the 40 training pairs"),
        ({"dropout": 0.1}, "has no knob(s) ['dropout']"),
    ],
)
def test_out_of_range_settings_are_refused_with_a_message(settings, message):
    spec = softmax_panel(el.data.nli_pairs(_rows(400)))
    with pytest.raises(el.errors.InputError) as error:
        knobs.validate_settings(spec, settings, QUICK)
    assert message in str(error.value)


def test_a_choice_not_offered_and_more_rows_than_a_set_holds_are_refused():
    cosine = cosine_panel(el.data.cosine_pairs(_rows(400)))
    with pytest.raises(el.errors.InputError, match="not offered"):
        knobs.validate_settings(cosine, {"loss": "mnr"}, QUICK)
    mnr = mnr_panel(el.data.mnr_triplets(_rows(400)), _hard(40))
    settings = knobs.validate_settings(mnr, {"negatives": "hard", "n_pairs": 100}, QUICK)
    with pytest.raises(el.errors.InputError, match="only 40 triplets with hard negatives exist"):
        mnr.build(settings, QUICK)


def test_refused_settings_train_and_record_nothing():
    spec = softmax_panel(el.data.nli_pairs(_rows(400)))
    with pytest.raises(el.errors.InputError):
        knobs.run_knobs(spec, {"batch_size": 512}, QUICK)
    assert el.training.ledger.read_ledger() == []


def test_a_panel_must_be_a_spec_with_a_build_function():
    with pytest.raises(el.errors.InputError, match="needs build=, a function settings -> plan"):
        knobs.check_spec(knobs.RecipeSpec("x", "nb", "t", (), str, None))
    with pytest.raises(el.errors.InputError, match="builds its panel's spec in the cell above"):
        el.knob_panel("softmax", QUICK)


def test_mnr_panel_builds_a_run_with_the_chosen_negatives_and_batch():
    spec = mnr_panel(el.data.mnr_triplets(_rows(400)), _hard(64))
    settings = knobs.validate_settings(
        spec, {"negatives": "hard", "n_pairs": 48, "batch_size": 16, "epochs": 2}, QUICK
    )
    plan = spec.build(settings, QUICK)
    assert plan.trainer is mnr_trainer
    assert plan.train_dataset.column_names == ["anchor", "positive", "negative"]
    assert len(plan.train_dataset) == 48
    assert (plan.profile.batch_size, plan.profile.epochs, plan.profile.warmup_steps) == (16, 2, 1)
    assert spec.ledger_name(settings) == "panel-mnr-hard"
    none = spec.build({**settings, "negatives": "none"}, QUICK)
    assert none.train_dataset.column_names == ["anchor", "positive"]


def test_a_panel_run_trains_records_and_maps(small_sts):
    """How any panel runs (09's static model builds its own the same way): validated
    settings -> the notebook's build -> its trainer function, recorded, mapped before/after."""
    seen = {}

    def build(settings, profile):
        seen.update(settings)
        pairs = el.data.cosine_pairs(el.load_nli("mnli", "train", n_rows=settings["n_pairs"]))
        keep = 1 - settings["deletion_ratio"]
        short = [
            " ".join(s.split()[: max(1, round(len(s.split()) * keep))]) for s in pairs["sentence2"]
        ]
        return knobs.TrainingPlan(
            model=el.load_base_model(profile),
            train_dataset=Dataset.from_dict({**pairs.to_dict(), "sentence2": short}),
            profile=profile.with_changes(epochs=1, batch_size=16, warmup_steps=0),
            trainer=functools.partial(cosine_trainer, loss=CoSENTLoss),
            extra={"deletion_ratio": settings["deletion_ratio"]},
        )

    spec = knobs.RecipeSpec(
        name="test-noise",
        notebook="test_notebook",
        title="CoSENT on shortened hypotheses",
        knobs=(knobs.KNOBS["deletion_ratio"], knobs.KNOBS["n_pairs"].up_to(400)),
        ledger_name=lambda s: f"panel-noise-{s['deletion_ratio']:g}",
        build=build,
        map_set=knobs.nli_pair_map,
    )
    with pytest.raises(el.errors.InputError, match="deletion ratio 0.95 is out of range"):
        knobs.validate_settings(spec, {"deletion_ratio": 0.95}, QUICK)
    steps = []
    outcome = knobs.run_knobs(
        spec,
        {"deletion_ratio": 0.5, "n_pairs": 32},
        QUICK,
        progress=lambda step, total: steps.append(step),
        map_points=8,
        evaluator=small_sts,
    )
    assert seen == {"deletion_ratio": 0.5, "n_pairs": 32} and steps[-1] == 2
    record = outcome.result.record
    assert record["recipe"] == "panel-noise-0.5" and record["deletion_ratio"] == 0.5
    assert record["source"] == "knob panel" and outcome.result.steps == 2
    assert list(outcome.maps) == ["before", "after"] and outcome.maps["after"].shape == (8, 2)


def test_the_finetune_panel_starts_from_the_pretrained_model_at_its_settings():
    hard = _hard(64)
    spec = finetune_panel(el.data.mnr_triplets(_rows(400)).select(range(64)), hard)
    profile = finetune_settings(QUICK)
    settings = knobs.validate_settings(spec, {"negatives": "hard"}, profile)
    assert (settings["learning_rate"], settings["epochs"]) == (5e-5, 1)
    plan = spec.build(settings, profile)
    assert plan.model.embedlab_source != el.load_base_model(QUICK).embedlab_source
    assert plan.train_dataset.to_dict() == hard.to_dict()
    assert RECIPES["finetune-mnr"].quick_rows == 640
