"""Names, profile fields, evaluators and odd values checked before any work.

Rows 4, 9-12, 14-17, 19, 55, 56 and 64 of the reliability review's new probes (rows 7, 8 and
18 were the overrides and loss names of run_recipe and make_loss, which are gone: a notebook's
recipe function builds its loss and arguments itself): each input is
refused (or, for whole-number float labels, accepted) with one clear message before the
untrained evaluation, and nothing is written: no ledger record, no model folder.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
from datasets import Dataset

import embedlab as el
from embedlab.errors import InputError
from embedlab.evaluation import check_evaluator, stsb_evaluator
from embedlab.interactive import knobs
from embedlab.loss_data import check_loss_data
from embedlab.profiles import FULL, QUICK
from embedlab.recipes.cosine import cosine_trainer
from embedlab.recipes.softmax import softmax_loss, softmax_trainer
from embedlab.settings import NAME_LIMIT, profile_scale
from embedlab.training.run import record_evaluation
from embedlab_tools import train as train_cli


class NeverEvaluate:
    """An evaluator that fails the test if a run gets as far as scoring."""

    name = "never"

    def __call__(self, model):  # pragma: no cover - reaching it is the failure
        raise AssertionError("the run was evaluated before its input was checked")


class Reached(Exception):
    """Raised by :class:`StopAtEvaluation`: every check before the evaluation passed."""


class StopAtEvaluation:
    name = "stop"

    def __call__(self, model):
        raise Reached


def _pairs(labels, column="label"):
    n = len(labels)
    return Dataset.from_dict(
        {
            "sentence1": [f"a {i}" for i in range(n)],
            "sentence2": [f"b {i}" for i in range(n)],
            column: labels,
        }
    )


def _cosine_pairs():
    return _pairs([0.2, 0.8], "score")


def _run(model, *, train_dataset=None, profile=QUICK, recipe_trainer=cosine_trainer, **recorded):
    """Notebook 03's cosine trainer (or ``recipe_trainer``) on two pairs, recorded with
    ``recorded`` (names, extra, evaluators) and ``profile``; the trainer is built on QUICK."""
    data = _cosine_pairs() if train_dataset is None else train_dataset
    unused = stsb_evaluator(rows=[0, 1])  # the trainer's; recorded_run scores with evaluator=
    trainer = recipe_trainer(model, data, QUICK, unused, output_dir="unused")
    arguments = {"notebook": "t", "recipe": "r", "evaluator": NeverEvaluate(), **recorded}
    with el.recorded_run(trainer, profile=profile, **arguments):
        trainer.train()


def _nothing_written() -> bool:
    runs = Path(os.environ["EMBEDLAB_RUNS_DIR"])
    models = runs / "models"
    no_models = not models.exists() or not any(models.iterdir())
    return no_models and el.training.ledger.read_ledger() == []


def _refused(model, message: str, **changes) -> None:
    with pytest.raises(InputError) as error:
        _run(model, **changes)
    assert message in str(error.value)
    assert _nothing_written()


# --- rows 10, 11, 12: names and extra, by the ledger's own rules, before any work ------------


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"notebook": None}, "recorded_run: 'notebook' must be a non-empty string, got None"),
        ({"recipe": 123}, "recorded_run: 'recipe' must be a non-empty string, got 123"),
        ({"notebook": "   "}, "'notebook' must be a non-empty string, got '   '"),
        (
            {"notebook": "n" * 300},
            f"'notebook' is 300 characters long; a name may have at most {NAME_LIMIT}",
        ),
        ({"recipe": "r" * (NAME_LIMIT + 1)}, f"'recipe' is {NAME_LIMIT + 1} characters long"),
    ],
)
def test_row_10_12_bad_names_are_refused_before_anything_runs(standin, changes, message):
    _refused(standin, message, **changes)


def test_row_10_a_profile_name_is_checked_by_the_ledgers_rule():
    with pytest.raises(InputError) as error:
        QUICK.with_changes(name=5)
    assert "profile name: 'profile' must be a non-empty string, got 5" in str(error.value)
    with pytest.raises(InputError, match="'profile' is 300 characters long"):
        QUICK.with_changes(name="p" * 300)
    assert QUICK.with_changes(name="colab").name == "colab"


def test_row_12_names_at_the_limit_fit_a_folder_name(standin):
    name = "n/" * (NAME_LIMIT // 2)  # made safe it gains a hash: still one file name
    assert len(name) == NAME_LIMIT
    folder = el.training.run.model_folder(name, name, QUICK.with_changes(name="p" * 52))
    assert len(f".{folder.name}.partial-{4_194_304}") <= 255


@pytest.mark.parametrize(
    "extra, message",
    [
        ({"steps": 1}, "recorded_run: extra sets ['steps'], which the run records itself"),
        ({"notebook": "x"}, "extra sets ['notebook'], which the run records itself"),
        ({"learning_rate_mapping": {}}, "extra sets ['learning_rate_mapping']"),
        (
            "x",
            "recorded_run: extra must be a dict of more ledger keys, e.g. extra={'group_size': 8}",
        ),
        ({1: "x"}, "extra's keys must be text (ledger keys), got 1"),
    ],
)
def test_row_11_extra_that_clashes_with_the_record_is_refused_up_front(standin, extra, message):
    _refused(standin, message, extra=extra)


def test_row_11_record_evaluation_checks_extra_before_scoring(standin):
    with pytest.raises(InputError, match=r"record_evaluation: extra sets \['steps'\]"):
        record_evaluation(
            notebook="t",
            recipe="r",
            model=standin,
            profile=QUICK,
            evaluator=NeverEvaluate(),
            extra={"steps": 1},
        )
    assert _nothing_written()


def test_row_11_own_extra_keys_still_pass(standin):
    with pytest.raises(Reached):
        _run(standin, extra={"group_size": 8, "source": "test"}, evaluator=StopAtEvaluation())


def test_row_11_target_scores_are_the_callers_unless_recorded_run_measures_them(standin):
    """A caller may pass target-domain scores it measured itself in extra; recorded_run
    refuses them only when its target_evaluator would record them too."""
    from embedlab.training.run import check_run_inputs

    target = {"untrained_target": {"spearman_cosine": 0.4}, "trained_target": {}}
    names = {"notebook": "t", "recipe": "r", "profile": QUICK, "model": standin}
    assert check_run_inputs(**names, extra=target, where="recorded_run") == target
    with pytest.raises(InputError, match=r"extra sets \['trained_target', 'untrained_target'\]"):
        check_run_inputs(**names, extra=target, where="recorded_run", allowed=frozenset())
    with pytest.raises(InputError, match=r"recorded_run: extra sets \['untrained_target'\]"):
        _run(standin, extra={"untrained_target": {}}, target_evaluator=NeverEvaluate())
    assert _nothing_written()


# --- row 9: a string where a Profile or an evaluator goes ------------------------------------


def test_row_9_recorded_run_wants_a_profile_not_its_name(standin):
    _refused(
        standin,
        "recorded_run needs a Profile, not str 'quick'; pass el.get_profile('quick')",
        profile="quick",
    )


def test_row_9_load_base_model_wants_a_profile():
    with pytest.raises(InputError, match=r"load_base_model needs a Profile, not str 'quick'"):
        el.load_base_model("quick")


# a panel as a notebook builds one: the catalogue's knobs, a plan function (not called here)
PANEL = knobs.RecipeSpec(
    "cosine",
    "test",
    "a cosine loss",
    (knobs.KNOBS["n_pairs"].up_to(400), knobs.KNOBS["learning_rate"]),
    ledger_name=lambda settings: "panel-cosine",
    build=lambda settings, profile: None,
)


def test_row_9_knob_panel_and_validate_settings_want_a_profile():
    with pytest.raises(InputError, match=r"knob_panel needs a Profile, not str 'full'"):
        el.knob_panel(PANEL, "full")
    with pytest.raises(InputError, match=r"validate_settings needs a Profile, not str 'quick'"):
        knobs.validate_settings(PANEL, {}, "quick")
    with pytest.raises(InputError, match=r"evaluator must be an evaluator \(called on a model\)"):
        el.knob_panel(PANEL, QUICK, evaluator="sts")


@pytest.mark.parametrize("where", ["evaluator", "target_evaluator"])
def test_row_9_a_string_evaluator_is_refused(standin, where):
    _refused(
        standin,
        f"{where} must be an evaluator (called on a model), e.g. "
        "el.evaluation.stsb_evaluator(rows=range(200)), not str 'sts'",
        **{where: "sts"},
    )


# --- rows 14, 15: seed and sequence-length bounds --------------------------------------------


def test_row_14_a_seed_beyond_32_bits_is_refused():
    with pytest.raises(InputError) as error:
        QUICK.with_changes(seed=2**33)
    assert "seed=8589934592 is too large; use a whole number from 0 to 4,294,967,295" in str(
        error.value
    )
    assert QUICK.with_changes(seed=2**32 - 1).seed == 2**32 - 1


def test_row_14_a_hand_built_profile_is_checked_by_recorded_run(standin):
    _refused(
        standin, "seed=8589934592 is too large", profile=dataclasses.replace(QUICK, seed=2**33)
    )


def test_row_15_max_seq_length_is_bounded_by_the_models_positions(standin):
    with pytest.raises(InputError, match="max_seq_length=100000 is too large"):
        QUICK.with_changes(max_seq_length=100_000)
    with pytest.raises(InputError) as error:
        el.load_base_model(QUICK.with_changes(max_seq_length=1000))
    assert "max_seq_length=1000 is more than the 512 token positions" in str(error.value)
    before = standin.max_seq_length
    standin.max_seq_length = 1000  # set on the model itself
    try:
        _refused(standin, "max_seq_length=1000 is more than the 512 token positions")
    finally:
        standin.max_seq_length = before


# --- row 16: an evaluation set of one pair ----------------------------------------------------


def test_row_16_one_sts_row_is_refused():
    with pytest.raises(InputError) as error:
        stsb_evaluator(rows=[0])
    assert "1 STS-B row(s) asked for; a Spearman correlation needs at least 2 rows" in str(
        error.value
    )
    one = el.evaluation.EmbeddingSimilarityEvaluator(["a"], ["b"], [0.5], name="one")
    with pytest.raises(InputError, match=r"evaluator has 1 pair\(s\); a Spearman correlation"):
        check_evaluator(one)


def test_row_16_recorded_run_refuses_a_one_pair_evaluator(standin):
    one = el.evaluation.EmbeddingSimilarityEvaluator(["a"], ["b"], [0.5], name="one")
    _refused(
        standin, "evaluator has 1 pair(s); a Spearman correlation needs at least 2", evaluator=one
    )


def test_row_16_cli_eval_rows_1_is_one_line_and_exit_2(capsys, monkeypatch):
    monkeypatch.setattr(train_cli, "run_book_recipe", _never_called)
    assert train_cli.main(["--recipe", "softmax", "--eval-rows", "1"]) == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("embedlab-train: error:")]
    assert len(errors) == 1 and "Traceback" not in err
    assert "a Spearman correlation needs at least 2 rows" in errors[0]


# --- row 17: pair_cosines on strings, nothing, None -------------------------------------------


class NeverEncode:
    def encode(self, *args, **kwargs):  # pragma: no cover - reaching it is the failure
        raise AssertionError("encoded before the sentences were checked")


@pytest.mark.parametrize(
    "first, second, message",
    [
        ("abc", "xyz", "sentences1 must be a list of sentences, not str 'abc'"),
        ([], [], "no sentence pairs given; pass at least one pair of sentences"),
        ([None], ["a"], "sentences1[0] is None, not a sentence; every item must be text"),
        (["a"], ["b", "c"], "1 first sentences but 2 second ones"),
    ],
)
def test_row_17_pair_cosines_checks_its_sentences(first, second, message):
    for function in (el.evaluation.pair_cosines, el.evaluation.pair_features):
        with pytest.raises(InputError) as error:
            function(NeverEncode(), first, second)
        assert message in str(error.value)


# --- row 19: odd values in the helpers ---------------------------------------------------------


def test_row_19_spread_of_nan_names_the_score():
    with pytest.raises(InputError, match=r"score 0 of the spread is nan, not a finite number"):
        el.training.spread([math.nan, math.nan])
    with pytest.raises(InputError, match="score 1 of the spread is 'x'"):
        el.training.spread([0.5, "x"])
    assert el.training.spread([0.5, np.float32(0.6)]).high == pytest.approx(0.6)


def test_row_19_umap_of_nan_embeddings_says_the_vectors_are_broken():
    embeddings = np.ones((6, 4))
    embeddings[[1, 4]] = np.nan
    with pytest.raises(InputError) as error:
        el.plots.umap_coordinates(embeddings)
    assert "2 of 6 embeddings hold NaN or infinite values (rows 1, 4)" in str(error.value)


def test_row_19_plot_ledger_of_a_string():
    with pytest.raises(
        InputError, match=r"plot_ledger needs a ledger table, e.g. el.ledger_table\(\)"
    ):
        el.plot_ledger("x")


def test_row_19_load_nli_with_a_number_for_folder():
    with pytest.raises(
        InputError, match=r"folder must be a folder's path \(text or a pathlib.Path\)"
    ):
        el.load_nli("mnli", "train", n_rows=2, folder=123)


# --- rows 55, 56: the command line ---------------------------------------------------------------


def _never_called(*args, **kwargs):  # pragma: no cover - reaching it is the failure
    raise AssertionError("the command line loaded and trained before checking its options")


@pytest.mark.parametrize("text", ["abc", "1e3", "2.5"])
def test_row_55_rows_not_a_whole_number(capsys, text):
    with pytest.raises(SystemExit) as stop:
        train_cli.main(["--recipe", "softmax", "--rows", text])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert f"argument --rows: expected a whole number of rows, e.g. 1000, got {text!r}" in err


def test_row_56_a_huge_batch_uses_the_profiles_bounds(capsys, monkeypatch):
    monkeypatch.setattr(train_cli, "run_book_recipe", _never_called)
    assert train_cli.main(["--recipe", "softmax", "--batch-size", str(10**20)]) == 2
    err = capsys.readouterr().err
    message = "batch_size=100000000000000000000 is too large; use a whole number from 1 to 65,536"
    assert err.strip() == f"embedlab-train: error: {message}"
    with pytest.raises(InputError, match=message):
        QUICK.with_changes(batch_size=10**20)


def test_row_56_huge_rows_use_the_profiles_bounds(capsys, monkeypatch):
    monkeypatch.setattr(train_cli, "run_book_recipe", _never_called)
    assert train_cli.main(["--recipe", "softmax", "--rows", str(10**20)]) == 2
    assert "n_train=100000000000000000000 is too large" in capsys.readouterr().err


# --- row 64: a renamed profile's bounds -----------------------------------------------------------


def test_row_64_a_renamed_profile_takes_the_bounds_of_its_base_model():
    colab = QUICK.with_changes(name="colab")
    assert profile_scale(colab) == "quick" and profile_scale(QUICK) == "quick"
    assert profile_scale(FULL.with_changes(name="lab-gpu")) == "full"
    assert profile_scale(FULL) == "full"
    assert el.profiles.STANDIN == "standin"  # what settings.profile_scale compares against
    # 5e-3 is within the quick bounds (up to 1e-2), not the full ones (up to 1e-3)
    settings = knobs.validate_settings(PANEL, {"learning_rate": 5e-3}, colab)
    assert settings["learning_rate"] == 5e-3
    with pytest.raises(InputError) as error:
        knobs.validate_settings(PANEL, {"learning_rate": 0.05}, colab)
    message = str(error.value)
    assert (
        "out of range for the colab profile (the quick profile's bounds: a profile named" in message
    )
    assert "takes the bounds of the built-in profile with its base model)" in message


# --- row 4: whole-number float labels ------------------------------------------------------------


def test_row_4_whole_number_float_labels_are_taken_as_classes(standin):
    data = _pairs([0.0, 1.0, 2.0])
    checked = check_loss_data(softmax_loss(standin, seed=42), data)
    assert checked.features["label"].dtype == "int64" and checked["label"] == [0, 1, 2]
    with pytest.raises(Reached):  # every check passed: the run got as far as scoring
        _run(
            standin,
            recipe_trainer=softmax_trainer,
            train_dataset=data,
            evaluator=StopAtEvaluation(),
        )


def test_row_4_a_fractional_label_names_its_own_row(standin):
    _refused(
        standin,
        "column 'label', row 2: label 0.5 is not a class this loss knows",
        recipe_trainer=softmax_trainer,
        train_dataset=_pairs([0, 1, 0.5, 2]),
    )


def test_row_12_the_ledger_refuses_a_long_name_on_write_but_reads_old_lines(make_record):
    with pytest.raises(
        InputError, match=f"'notebook' is 100 characters long; a name may have at most {NAME_LIMIT}"
    ):
        el.training.ledger.record_run(make_record(notebook="n" * 100))
    assert el.training.ledger.read_ledger() == []
    path = el.training.ledger.ledger_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(make_record(notebook="n" * 100)) + "\n")  # an older ledger's line
    assert [r["notebook"] for r in el.training.ledger.read_ledger()] == ["n" * 100]
