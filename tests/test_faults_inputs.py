"""Bad inputs from the reliability review (issue 15, part B): each one clear message, early.

Every test here is fast: the checks fire before any model is evaluated or trained.
"""

from __future__ import annotations

import shutil
import signal
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from datasets import Dataset

import embedlab as el
from embedlab import train as train_cli
from embedlab.training import training_arguments

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


class _TookTooLong(Exception):
    pass


@contextmanager
def within(seconds: float):
    """Fail instead of hanging when the block runs longer than ``seconds``."""

    def stop(signum, frame):
        raise _TookTooLong(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class NeverEvaluate:
    """An evaluator that fails the test if a run gets as far as scoring."""

    name = "never"

    def __call__(self, model):  # pragma: no cover - reaching it is the failure
        raise AssertionError("the run was evaluated before its input was checked")


@pytest.fixture()
def scratch_dir(tmp_path, monkeypatch):
    """Trainer scratch folders go to a private temp folder, so leftovers can be counted."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _pairs(labels, column="label"):
    n = len(labels)
    return Dataset.from_dict(
        {
            "sentence1": [f"a {i}" for i in range(n)],
            "sentence2": [f"b {i}" for i in range(n)],
            column: labels,
        }
    )


def _run(model, loss, data, **overrides):
    return el.run_recipe(
        notebook="t",
        recipe="r",
        model=model,
        loss=loss,
        train_dataset=data,
        profile=el.QUICK,
        evaluator=NeverEvaluate(),
        **overrides,
    )


# --- 1. one validation path for every training setting --------------------------------------


@pytest.mark.parametrize(
    "override, message",
    [
        ({"batch_size": 0}, "batch_size=0 is too small; use a whole number >= 1"),
        ({"learning_rate": 0}, "learning_rate=0 is out of range; use a value in (0, 1)"),
        ({"epochs": 0}, "epochs=0 is too small; use a whole number >= 1"),
        ({"learning_rate": 10}, "learning_rate=10 is out of range; use a value in (0, 1)"),
        ({"epochs": -1, "max_steps": -1}, "epochs=-1 is too small"),
        ({"max_steps": 0}, "max_steps=0 would train nothing; use a whole number >= 1, or -1"),
        ({"max_steps": -5}, "max_steps=-5 would train nothing"),
        ({"epochs": True}, "epochs must be a whole number >= 1, got True (bool)"),
        ({"batch_size": 2.5}, "batch_size must be a whole number >= 1, got 2.5"),
    ],
)
def test_run_recipe_overrides_are_checked_before_anything_runs(
    standin, scratch_dir, override, message
):
    with pytest.raises(el.InputError) as error:
        _run(standin, "cosine", _pairs([0.0, 1.0], "score"), **override)
    assert message in str(error.value)
    assert el.read_ledger() == [] and list(scratch_dir.iterdir()) == []


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"warmup_steps": "x"}, "warmup_steps must be a whole number >= 0, got 'x' (str)"),
        ({"warmup_steps": 1.5}, "warmup_steps must be a whole number >= 0, got 1.5"),
        ({"epochs": True}, "epochs must be a whole number >= 1, got True (bool)"),
        ({"learning_rate": "fast"}, "learning_rate must be a number, got 'fast' (str)"),
        ({"batch_size": 0}, "batch_size=0 is too small; use a whole number >= 1"),
    ],
)
def test_profile_changes_use_the_same_checks(changes, message):
    with pytest.raises(el.InputError) as error:
        el.QUICK.with_changes(**changes)
    assert message in str(error.value)


def test_numpy_numbers_are_numbers_at_every_door():
    changed = el.QUICK.with_changes(n_train=np.int64(100), learning_rate=np.float32(1e-4))
    assert changed.n_train == 100 and type(changed.n_train) is int
    settings = el.validate_settings("softmax", {"n_pairs": np.int64(100)}, el.QUICK)
    assert settings["n_pairs"] == 100 and type(settings["n_pairs"]) is int


def test_training_arguments_take_the_profile_only_for_missing_values(tmp_path):
    args = training_arguments(el.QUICK, output_dir=str(tmp_path), epochs=None, batch_size=8)
    assert args.num_train_epochs == el.QUICK.epochs and args.per_device_train_batch_size == 8
    assert args.learning_rate == el.QUICK.learning_rate
    with pytest.raises(el.InputError, match="learning_rate=0 is out of range"):
        training_arguments(el.QUICK, output_dir=str(tmp_path), learning_rate=0)


# --- 2. labels and scores checked before the first evaluation --------------------------------


@pytest.mark.parametrize(
    "labels, message",
    [
        (
            [0, 1, 3],
            "column 'label', row 2: label 3 is not a class this loss knows; labels must "
            "be whole numbers 0 to 2",
        ),
        ([0, -1, 2], "row 1: label -1 is not a class"),
        (["entailment", "neutral"], "row 0: label 'entailment' is not a class"),
        ([0.0, 0.5], "row 0: label 0.0 is not a class"),
    ],
)
def test_softmax_labels_out_of_range_are_named_before_evaluation(
    standin, scratch_dir, labels, message
):
    with pytest.raises(el.InputError) as error:
        _run(standin, "softmax", _pairs(labels))
    assert message in str(error.value)
    assert list(scratch_dir.iterdir()) == [] and el.read_ledger() == []


def test_cosine_scores_outside_0_1_say_divide_by_5(standin, scratch_dir):
    with pytest.raises(el.InputError) as error:
        _run(standin, "cosine", _pairs([0.2, 5.0], "score"))
    assert "column 'score', row 1: score 5.0 is outside [0, 1]" in str(error.value)
    assert "0-5 scores must be divided by 5" in str(error.value)
    assert list(scratch_dir.iterdir()) == []


def test_a_softmax_loss_module_is_checked_with_its_own_classes(standin):
    loss = el.make_loss("softmax", standin)
    with pytest.raises(el.InputError, match="label 7 is not a class"):
        _run(standin, loss, _pairs([0, 7]))


@pytest.mark.parametrize("helper", [el.nli_pairs, el.cosine_pairs, el.mnr_triplets])
@pytest.mark.parametrize("label", [0.5, 1.7, 2.9])
def test_fractional_nli_labels_are_refused_not_truncated(helper, label):
    rows = Dataset.from_dict(
        {"premise": ["p", "q", "r"], "hypothesis": ["h", "i", "j"], "label": [0.0, label, 2.0]}
    )
    with pytest.raises(el.InputError) as error:
        helper(rows)
    assert "NLI labels must be whole numbers 0 (entailment)" in str(error.value)
    assert f"found [{label}]" in str(error.value) and "not rounded" in str(error.value)


# --- 3. loops over learner data end --------------------------------------------------------


def test_mnr_triplets_with_one_premise_stops_with_a_message():
    rows = Dataset.from_dict(
        {"premise": ["p"] * 3, "hypothesis": ["a", "b", "c"], "label": [0, 0, 0]}
    )
    with within(10), pytest.raises(el.InputError) as error:
        el.mnr_triplets(rows)
    assert "all 3 entailment rows share one premise" in str(error.value)
    assert "at least 2 distinct premises" in str(error.value)


def test_random_negatives_with_one_positive_stops_with_a_message():
    pairs = Dataset.from_dict({"anchor": ["a", "b", "c"], "positive": ["p"] * 3})
    with within(10), pytest.raises(el.InputError) as error:
        el.random_negatives(pairs)
    assert "all 3 rows have the same positive" in str(error.value)
    assert "at least 2 distinct positives" in str(error.value)


# --- 4. data helpers and losses -------------------------------------------------------------


@pytest.mark.parametrize("n_rows", [0, -5, True, 2.5, "100"])
def test_load_nli_refuses_odd_row_counts(n_rows):
    with pytest.raises(el.InputError) as error:
        el.load_nli("mnli", "train", n_rows=n_rows)
    assert f"n_rows={n_rows!r} must be a whole number >= 1, e.g. n_rows=1000" in str(error.value)


def test_load_nli_takes_numpy_row_counts():
    assert len(el.load_nli("mnli", "train", n_rows=np.int64(5))) == 5


def test_stsb_evaluator_names_how_many_rows_exist():
    with pytest.raises(el.InputError) as error:
        el.stsb_evaluator(rows=[99999])
    assert "row 99,999 is outside STS-B validation, which has 1,500 rows" in str(error.value)


def test_cli_eval_rows_beyond_the_split_exits_2(capsys):
    assert train_cli.main(["--recipe", "softmax", "--eval-rows", "99999"]) == 2
    err = capsys.readouterr().err
    assert "which has 1,500 rows (positions 0 to 1,499)" in err and "--eval-rows 1500" in err
    assert "Traceback" not in err


def test_make_loss_refuses_a_bad_option_and_a_non_model(standin):
    with pytest.raises(el.InputError, match=r"loss option scale='x' must be a number > 0"):
        el.make_loss("mnr", standin, scale="x")
    with pytest.raises(el.InputError) as error:
        el.make_loss("softmax", "not a model")
    assert "needs a SentenceTransformer model, not a str" in str(error.value)


# --- 5. damaged data files ------------------------------------------------------------------


@pytest.fixture()
def data_copy(tmp_path, monkeypatch):
    """A private copy of the shared data folder (mnli and stsb), set as EMBEDLAB_DATA_DIR."""
    root = tmp_path / "data"
    for name in ("mnli", "stsb"):
        shutil.copytree(SHARED / name, root / name)
    for path in root.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    monkeypatch.setenv("EMBEDLAB_DATA_DIR", str(root))
    return root


def _rewrite_line(path: Path, number: int, text: str | None, *, cut: bool = False) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    if cut:
        lines = lines[:number]
        lines[-1] = lines[-1][: len(lines[-1]) // 2]
    elif text is not None:
        lines[number - 1] = text + "\n"
    path.write_text("".join(lines), encoding="utf-8")


def test_a_truncated_data_file_names_the_file_and_line(data_copy):
    path = data_copy / "mnli" / "train.jsonl"
    _rewrite_line(path, 21, None, cut=True)
    with pytest.raises(el.DataUnavailableError) as error:
        el.load_nli("mnli", "train", n_rows=5)
    message = str(error.value)
    assert f"{path}, line 21: not valid JSON" in message
    assert "copy it again from the lab kit or the shared data folder" in message


def test_a_non_json_line_names_the_file_and_line(data_copy):
    path = data_copy / "mnli" / "train.jsonl"
    _rewrite_line(path, 7, "<<<<<<< HEAD")
    with pytest.raises(el.DataUnavailableError, match=r"train.jsonl, line 7: not valid JSON"):
        el.load_nli("mnli", "train")


@pytest.mark.parametrize(
    "file, line, problem",
    [
        (
            "mnli/train.jsonl",
            '{"premise": "a", "label": 0, "idx": 2}',
            "line 3: lacks column(s) ['hypothesis']",
        ),
        (
            "mnli/train.jsonl",
            '{"premise": "a", "hypothesis": "b", "label": 7, "idx": 2}',
            "line 3: label 7 is not an NLI label",
        ),
        (
            "mnli/train.jsonl",
            '{"premise": "a", "hypothesis": "b", "label": 0.5, "idx": 2}',
            "line 3: label 0.5 is not an NLI label",
        ),
        (
            "stsb/validation.jsonl",
            '{"sentence1": "a", "sentence2": "b", "label": null, "idx": 2}',
            "line 3: column(s) ['label'] are null",
        ),
        (
            "stsb/validation.jsonl",
            '{"sentence1": "a", "sentence2": "b", "label": 9.5, "idx": 2}',
            "line 3: label 9.5 is not an STS-B score",
        ),
    ],
)
def test_a_bad_row_is_named_at_load(data_copy, file, line, problem):
    _rewrite_line(data_copy / file, 3, line)
    load = el.load_stsb if file.startswith("stsb") else lambda: el.load_nli("mnli", "train")
    with pytest.raises(el.DataUnavailableError) as error:
        load()
    assert f"{file.split('/')[1]}, {problem}" in str(error.value)
