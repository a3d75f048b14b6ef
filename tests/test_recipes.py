import pytest

import embedlab as el


def test_unknown_recipe_is_named():
    with pytest.raises(el.InputError, match="unknown recipe 'mnr-hardest'"):
        el.run_book_recipe("mnr-hardest", el.QUICK)


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
    el.record_run(record)
    assert el.ensure_recorded("softmax", el.QUICK)["trained"]["spearman_cosine"] == 0.2


def test_ensure_recorded_trains_when_missing(monkeypatch):
    small = el.QUICK.with_changes(n_train=200, epochs=1, eval_steps=50, warmup_steps=0)
    record = el.ensure_recorded("cosine", small)
    assert record["recipe"] == "cosine" and record["n_train"] == 200
    assert el.latest_run("cosine", profile="quick") == record


def test_record_evaluation_writes_an_untrained_record(standin):
    record = el.record_evaluation(
        notebook="05", recipe="pretrained", model=standin, profile=el.QUICK
    )
    assert record["untrained"] == record["trained"] and record["n_train"] == 0
    assert el.read_ledger()[-1]["recipe"] == "pretrained"


def test_beyond_the_book_recipes_are_labelled_and_change_one_thing():
    from embedlab.recipes import BOOK_RECIPES, RECIPES

    beyond = {name for name, recipe in RECIPES.items() if recipe.beyond_book}
    assert beyond == {"mnr-mined", "cached-mnr", "gist"} and not beyond & set(BOOK_RECIPES)
    assert {RECIPES[name].baseline for name in beyond} == {"mnr-soft"}
    cached = RECIPES["cached-mnr"].settings(el.QUICK)
    assert (cached.batch_size, cached.warmup_steps) == (128, 25)  # same warm-up in pairs
    assert RECIPES["mnr-soft"].settings(el.QUICK) == el.QUICK


def test_finetune_recipe_matches_notebook_05():
    from embedlab.recipes import RECIPES

    recipe = RECIPES["finetune-mnr"]
    settings = recipe.settings(el.QUICK)
    assert (settings.learning_rate, settings.epochs, settings.warmup_steps) == (5e-5, 1, 10)
    assert recipe.model_name(el.QUICK) == "sentence-transformers/all-MiniLM-L6-v2"
    mnli = el.load_nli("mnli", "train", n_rows=3000)
    assert len(recipe.training_set(el.QUICK, mnli)) == 640
    assert len(recipe.training_set(el.FULL, mnli)) == len(el.mnr_triplets(mnli))
