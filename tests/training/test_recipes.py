import pytest

import embedlab as el


def test_unknown_recipe_is_named():
    with pytest.raises(el.errors.InputError, match="unknown recipe 'mnr-hardest'"):
        el.training.recipes.run_book_recipe("mnr-hardest", el.profiles.QUICK)


def test_ensure_recorded_returns_the_existing_record_without_training():
    record = {
        "notebook": "02_softmax_loss",
        "recipe": "softmax",
        "profile": "quick",
        "base_model": "x",
        "n_train": 1,
        "seconds": 1.0,
        "peak_memory_mb": 1.0,
        "untrained": {"spearman_cosine": 0.1},
        "trained": {"spearman_cosine": 0.2},
        "model_path": "",
    }
    el.training.ledger.record_run(record)
    assert (
        el.training.recipes.ensure_recorded("softmax", el.profiles.QUICK)["trained"][
            "spearman_cosine"
        ]
        == 0.2
    )


def test_ensure_recorded_trains_when_missing(monkeypatch):
    small = el.profiles.QUICK.with_changes(n_train=200, epochs=1, eval_steps=50, warmup_steps=0)
    record = el.training.recipes.ensure_recorded("cosine", small)
    assert record["recipe"] == "cosine" and record["n_train"] == 200  # a changed setting stays
    assert el.training.ledger.latest_run("cosine", profile="quick") == record


def test_record_evaluation_writes_an_untrained_record(standin):
    record = el.training.run.record_evaluation(
        notebook="05", recipe="pretrained", model=standin, profile=el.profiles.QUICK
    )
    assert record["untrained"] == record["trained"] and record["n_train"] == 0
    assert el.training.ledger.read_ledger()[-1]["recipe"] == "pretrained"


def test_beyond_the_book_recipes_are_labelled_and_change_one_thing():
    from embedlab.training.recipes import BOOK_RECIPES, RECIPES

    beyond = {name for name, recipe in RECIPES.items() if recipe.beyond_book}
    assert beyond == {"mnr-mined", "cached-mnr", "gist"} and not beyond & set(BOOK_RECIPES)
    assert {RECIPES[name].baseline for name in beyond} == {"mnr-soft"}
    cached = RECIPES["cached-mnr"].settings(el.profiles.QUICK)
    assert (cached.batch_size, cached.warmup_steps) == (128, 25)  # same warm-up in pairs
    assert RECIPES["mnr-soft"].settings(el.profiles.QUICK) == el.profiles.QUICK


def test_finetune_recipe_matches_notebook_05():
    from embedlab.training.recipes import RECIPES

    recipe = RECIPES["finetune-mnr"]
    settings = recipe.settings(el.profiles.QUICK)
    assert (settings.learning_rate, settings.epochs, settings.warmup_steps) == (5e-5, 1, 10)
    assert recipe.model_name(el.profiles.QUICK) == "sentence-transformers/all-MiniLM-L6-v2"
    mnli = el.load_nli("mnli", "train", n_rows=3000)
    assert len(recipe.training_set(el.profiles.QUICK, mnli)) == 640
    assert len(recipe.training_set(el.profiles.FULL, mnli)) == len(el.data.mnr_triplets(mnli))


def test_the_loss_comparison_has_its_own_quick_budget_and_keeps_what_you_changed():
    """02-03 train half the quick rows at twice the rates; a setting the caller changed
    stays theirs, a profile it returned comes back the same, and the full profile is the book's."""
    from embedlab.training.recipes import RECIPES

    quick, full = el.profiles.QUICK, el.profiles.FULL
    for name in ("softmax", "cosine", "cosent"):
        settings = RECIPES[name].settings(quick)
        assert (settings.n_train, settings.learning_rate, settings.head_learning_rate) == (
            19_832,
            2e-4,
            2e-3,
        )
        assert RECIPES[name].settings(settings) == settings
        assert RECIPES[name].settings(full) == full
    mine = quick.with_changes(n_train=500, learning_rate=5e-5)
    kept = RECIPES["softmax"].settings(mine)
    assert (kept.n_train, kept.learning_rate, kept.head_learning_rate) == (500, 5e-5, 2e-3)
