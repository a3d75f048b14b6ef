import matplotlib

matplotlib.use("Agg")
import pytest
from datasets import Dataset

import embedlab as el
from embedlab.evaluation import stsb_evaluator
from embedlab.interactive import knobs, panels
from embedlab.interactive.recipe_panels import (
    TRAINERS,
    nli_pair_map,
    nli_training_set,
    panel_profile,
    soft_triplet_count,
)
from embedlab.recipes.cosine import cosine_trainer
from embedlab.training.recipes import RECIPES, finetune_settings, get_recipe


@pytest.fixture()
def small_sts():
    """200 STS-B validation pairs: enough to see a change, quick to score three times a run."""
    return stsb_evaluator(rows=list(range(200)))


def _full_here():
    """The full profile on the rows this data folder holds (the offline sample: 9,999 of
    MNLI train, fewer than its 50,000); the MNR panels count its triplets for their defaults."""
    rows = len(el.data.load_training_nli(el.profiles.FULL.train_splits))
    return el.profiles.FULL.with_changes(n_train=min(rows, el.profiles.FULL.n_train))


@pytest.mark.parametrize("recipe", ["softmax", "cosine", "mnr", "finetune"])
def test_each_panel_has_bounded_defaults_on_both_profiles(recipe):
    spec = panels.recipe_spec(recipe)
    for profile in (el.profiles.QUICK, _full_here()):
        settings = el.interactive.panels.validate_settings(recipe, {}, profile)
        assert list(settings) == spec.knob_names
        for knob in spec.knobs:
            if knob.kind != "choice":
                low, high = knobs.knob_bounds(knob, profile)
                assert low <= settings[knob.name] <= high


def test_notebook_panels_show_the_knobs_their_recipe_teaches():
    names = {r: panels.recipe_spec(r).knob_names for r in ("softmax", "cosine", "mnr", "finetune")}
    common = {"n_pairs", "epochs", "batch_size", "learning_rate"}
    assert set(names["softmax"]) == common
    assert set(names["cosine"]) == common | {"loss"}
    assert set(names["mnr"]) == common | {"loss", "negatives"}
    assert set(names["finetune"]) == common | {"negatives"}
    assert panels.recipe_spec("cosine").knob("loss").choices == ("cosine", "cosent", "angle")


@pytest.mark.parametrize(
    "panel, recipe",
    [
        ("softmax", "softmax"),
        ("cosine", "cosine"),
        ("mnr", "mnr-soft"),
        ("finetune", "finetune-mnr"),
    ],
)
def test_a_panel_at_its_defaults_plans_its_notebooks_recipe(panel, recipe, tmp_path):
    """Left at its defaults, a panel trains what its notebook trains: the same rows, loss
    and settings (epochs, batch size, learning rate, warm-up). The plan only; no training."""
    profile, book = el.profiles.QUICK, get_recipe(recipe)
    spec = panels.recipe_spec(panel)
    plan = spec.build(el.interactive.panels.validate_settings(panel, {}, profile), profile)
    expected = book.training_set(profile)
    assert spec.notebook == book.notebook
    assert len(plan.train_dataset) == len(expected)
    assert plan.train_dataset.to_dict() == expected.to_dict()
    assert plan.profile == book.settings(profile)  # warm-up, seed, max length... all of it
    # the same #@save trainer function, loss and arguments as the command line's recipe
    unused, scratch = stsb_evaluator(rows=[0, 1]), str(tmp_path)
    ours = plan.trainer(plan.model, plan.train_dataset, plan.profile, unused, output_dir=scratch)
    book_model = book.load_model(book.settings(profile))
    theirs = book.trainer(book_model, expected, book.settings(profile), unused, output_dir=scratch)
    assert type(ours.loss) is type(theirs.loss)
    assert ours.args.to_dict() == theirs.args.to_dict()


def test_panel_defaults_and_bounds_come_from_the_profile():
    quick = el.profiles.QUICK
    comparison = get_recipe("softmax").settings(quick)  # 02-03: half the rows, twice the rate
    assert (comparison.n_train, comparison.learning_rate) == (
        quick.n_train // 2,
        2 * quick.learning_rate,
    )
    for panel in ("softmax", "cosine"):
        settings = el.interactive.panels.validate_settings(panel, {}, quick)
        settings.pop("loss", None)
        assert settings == {
            "n_pairs": comparison.n_train,
            "epochs": quick.epochs,
            "batch_size": quick.batch_size,
            "learning_rate": comparison.learning_rate,
        }
        # the notebook passes the recipe's profile: the same panel
        assert el.interactive.panels.validate_settings(panel, {}, comparison) == {
            **settings,
            **({"loss": "cosine"} if panel == "cosine" else {}),
        }
    assert el.interactive.panels.validate_settings("mnr", {}, quick)["n_pairs"] == len(
        el.data.mnr_triplets(el.data.load_training_nli(quick.train_splits, n_rows=quick.n_train))
    )
    finetune = el.interactive.panels.validate_settings("finetune", {}, quick)
    notebook_05 = finetune_settings(quick)
    assert (finetune["epochs"], finetune["learning_rate"]) == (1, 5e-5)
    assert (finetune["epochs"], finetune["learning_rate"], finetune["batch_size"]) == (
        notebook_05.epochs,
        notebook_05.learning_rate,
        notebook_05.batch_size,
    )
    assert finetune["n_pairs"] == RECIPES["finetune-mnr"].quick_rows == 640
    # another profile, other defaults and bounds: one settings source
    small = quick.with_changes(n_train=1000, batch_size=16, learning_rate=2e-4)
    assert el.interactive.panels.validate_settings("cosine", {}, small) == {
        "loss": "cosine",
        "n_pairs": 1000,
        "epochs": 1,
        "batch_size": 16,
        "learning_rate": 2e-4,
    }
    with pytest.raises(el.errors.InputError, match="choose a value from 32 to 1000"):
        el.interactive.panels.validate_settings("cosine", {"n_pairs": 1001}, small)
    assert knobs.knob_bounds(panels.recipe_spec("mnr").knob("n_pairs"), small) == (
        32,
        soft_triplet_count(small),
    )


def test_panel_profile_is_the_notebooks_at_its_settings_else_scales_the_warm_up():
    quick = el.profiles.QUICK
    same = {"epochs": 1, "batch_size": 32, "learning_rate": 1e-4}  # the quick profile's
    assert panel_profile(same, 39_664, quick, recipe_rows=39_664) is quick
    # 1,240 steps: a tenth is more than the profile's 100 warm-up steps, which stay
    faster = panel_profile({**same, "learning_rate": 1e-3}, 39_664, quick, recipe_rows=39_664)
    assert (faster.learning_rate, faster.warmup_steps) == (1e-3, 100)
    # 32 steps: a tenth of them
    short = panel_profile(same, 1000, quick, recipe_rows=39_664)
    assert short == quick.with_changes(warmup_steps=3)
    assert panel_profile(same, 39_664, quick).warmup_steps == 100  # no recipe: scaled


def test_quick_bounds_are_smaller_than_full():
    knob = panels.recipe_spec("softmax").knob("n_pairs")
    assert (
        knobs.knob_bounds(knob, el.profiles.QUICK)[1] < knobs.knob_bounds(knob, el.profiles.FULL)[1]
    )


@pytest.mark.parametrize(
    "settings, message",
    [
        (
            {"n_pairs": 10},
            "training pairs 10 is out of range for the quick profile: choose a value from 32 "
            "to 19832",  # the loss comparison's rows (half the quick profile's)
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
    with pytest.raises(el.errors.InputError) as error:
        el.interactive.panels.validate_settings("softmax", settings, el.profiles.QUICK)
    assert message in str(error.value)


def test_inconsistent_choices_are_refused():
    with pytest.raises(el.errors.InputError, match="only apply to the MNR losses"):
        el.interactive.panels.validate_settings(
            "mnr", {"loss": "softmax", "negatives": "hard"}, el.profiles.QUICK
        )
    with pytest.raises(el.errors.InputError, match="semi-hard mining needs at least 200"):
        el.interactive.panels.validate_settings(
            "mnr", {"negatives": "semi-hard", "n_pairs": 100}, el.profiles.QUICK
        )
    with pytest.raises(el.errors.InputError, match="ask for at most 2,493 training pairs"):
        el.interactive.panels.validate_settings("mnr", {"negatives": "hard"}, el.profiles.QUICK)
    with pytest.raises(el.errors.InputError, match="not offered"):
        el.interactive.panels.validate_settings("cosine", {"loss": "mnr"}, el.profiles.QUICK)
    assert el.interactive.panels.validate_settings(
        "mnr", {"loss": "softmax", "negatives": "none"}, el.profiles.QUICK
    )


def test_refused_settings_train_and_record_nothing():
    with pytest.raises(el.errors.InputError):
        el.interactive.panels.run_knobs("softmax", {"batch_size": 512}, el.profiles.QUICK)
    assert el.training.ledger.read_ledger() == []


def test_training_sets_have_the_columns_each_loss_reads():
    def columns(loss, negatives):
        return nli_training_set(loss, negatives, 40, el.profiles.QUICK).column_names

    assert columns("softmax", "none") == ["sentence1", "sentence2", "label"]
    assert columns("cosent", "none") == ["sentence1", "sentence2", "score"]
    assert columns("mnr", "none") == ["anchor", "positive"]
    assert columns("mnr", "soft") == ["anchor", "positive", "negative"]
    hard = nli_training_set("mnr", "hard", 40, el.profiles.QUICK)
    assert len(hard) == 40 and hard[0]["negative"] != hard[0]["positive"]
    with pytest.raises(el.errors.InputError, match="ask for at most"):
        nli_training_set("mnr", "hard", 100_000, el.profiles.QUICK)


def test_mnr_panel_builds_a_run_with_the_chosen_negatives_and_batch():
    settings = el.interactive.panels.validate_settings(
        "mnr",
        {"negatives": "hard", "n_pairs": 48, "batch_size": 16, "epochs": 2},
        el.profiles.QUICK,
    )
    spec = panels.recipe_spec("mnr")
    plan = spec.build(settings, el.profiles.QUICK)
    assert plan.trainer is TRAINERS["mnr"] and plan.train_dataset.column_names == [
        "anchor",
        "positive",
        "negative",
    ]
    assert len(plan.train_dataset) == 48
    assert (plan.profile.batch_size, plan.profile.epochs, plan.profile.warmup_steps) == (16, 2, 1)
    assert spec.ledger_name(settings) == "panel-mnr-hard"
    assert spec.ledger_name({**settings, "loss": "cosine"}) == "panel-cosine"


def test_a_later_notebook_plugs_in_its_own_panel(small_sts):
    """How a later notebook adds a panel (09's static model): catalogue knobs, and a function
    that turns their settings into a plan with the notebook's recipe function."""
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
            trainer=cosine_trainer,
            extra={"deletion_ratio": settings["deletion_ratio"]},
        )

    spec = knobs.RecipeSpec(
        name="test-noise",
        notebook="test_notebook",
        title="cosine loss on shortened hypotheses",
        knobs=(knobs.KNOBS["deletion_ratio"], knobs.KNOBS["n_pairs"]),
        ledger_name=lambda s: f"panel-noise-{s['deletion_ratio']:g}",
        build=build,
        map_set=nli_pair_map,
    )
    with pytest.raises(el.errors.InputError, match="needs build=, a function settings -> plan"):
        el.interactive.panels.register_recipe(knobs.RecipeSpec("x", "nb", "t", (), str, None))
    el.interactive.panels.register_recipe(spec)
    try:
        with pytest.raises(el.errors.InputError, match="exists"):
            el.interactive.panels.register_recipe(spec)
        assert "test-noise" in el.interactive.panels.panel_recipes()
        with pytest.raises(el.errors.InputError, match="deletion ratio 0.95 is out of range"):
            el.interactive.panels.validate_settings(
                "test-noise", {"deletion_ratio": 0.95}, el.profiles.QUICK
            )
        steps = []
        outcome = el.interactive.panels.run_knobs(
            "test-noise",
            {"deletion_ratio": 0.5, "n_pairs": 32},
            el.profiles.QUICK,
            progress=lambda step, total: steps.append(step),
            map_points=8,
            evaluator=small_sts,
        )
        assert seen == {"deletion_ratio": 0.5, "n_pairs": 32} and steps[-1] == 2
        record = outcome.result.record
        assert record["recipe"] == "panel-noise-0.5" and record["deletion_ratio"] == 0.5
        assert record["source"] == "knob panel" and outcome.result.steps == 2
        assert list(outcome.maps) == ["before", "after"] and outcome.maps["after"].shape == (8, 2)
    finally:
        panels._REGISTRY.pop("test-noise", None)
