"""Bad inputs from the reliability review (issue 15, part B): each one clear message, early.

Every test here is fast: the checks fire before any model is evaluated or trained.
"""

from __future__ import annotations

import json
import shutil
import signal
import tempfile
from contextlib import contextmanager
from pathlib import Path

import huggingface_hub
import numpy as np
import pytest
from datasets import Dataset
from sentence_transformers.sentence_transformer.losses import SoftmaxLoss

import embedlab as el
from embedlab import sources
from embedlab.classroom import doctor
from embedlab.classroom import exercises as ex
from embedlab.evaluation import stsb_evaluator
from embedlab.loss_data import check_loss_data
from embedlab.recipes.cosine import cosine_trainer
from embedlab.recipes.softmax import softmax_trainer
from embedlab.settings import check_overrides
from embedlab.training.run import recorded_profile
from embedlab_tools import labkit
from embedlab_tools import train as train_cli

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


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


def _run(model, loss, data):
    """Notebook 02's (``"softmax"``) or 03's (``"cosine"``) trainer on ``data``, recorded; its
    scratch folder is a temporary one, as the command line's."""
    recipe = {"softmax": softmax_trainer, "cosine": cosine_trainer}[loss]
    with tempfile.TemporaryDirectory() as scratch:
        unused = stsb_evaluator(rows=[0, 1])
        trainer = recipe(model, data, el.profiles.QUICK, unused, output_dir=scratch)
        evaluator = NeverEvaluate()
        with el.recorded_run(
            trainer, notebook="t", recipe="r", profile=el.profiles.QUICK, evaluator=evaluator
        ):
            trainer.train()


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
def test_one_runs_settings_are_checked_by_the_profiles_rules(override, message):
    """The command line's --max-steps and --batch-size (check_overrides) follow the same
    rules as a profile's settings."""
    with pytest.raises(el.errors.InputError) as error:
        check_overrides(override)
    assert message in str(error.value)


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
    with pytest.raises(el.errors.InputError) as error:
        el.profiles.QUICK.with_changes(**changes)
    assert message in str(error.value)


def test_numpy_numbers_are_numbers_at_every_door():
    changed = el.profiles.QUICK.with_changes(n_train=np.int64(100), learning_rate=np.float32(1e-4))
    assert changed.n_train == 100 and type(changed.n_train) is int
    spec = el.interactive.RecipeSpec(
        "softmax",
        "test",
        "SoftmaxLoss",
        (el.interactive.KNOBS["n_pairs"].up_to(400),),
        str,
        build=str,
    )
    settings = el.interactive.validate_settings(spec, {"n_pairs": np.int64(100)}, el.profiles.QUICK)
    assert settings["n_pairs"] == 100 and type(settings["n_pairs"]) is int


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
        ([0.0, 0.5], "row 1: label 0.5 is not a class"),  # 0.0 is class 0 (row 4)
    ],
)
def test_softmax_labels_out_of_range_are_named_before_evaluation(
    standin, scratch_dir, labels, message
):
    with pytest.raises(el.errors.InputError) as error:
        _run(standin, "softmax", _pairs(labels))
    assert message in str(error.value)
    assert list(scratch_dir.iterdir()) == [] and el.training.ledger.read_ledger() == []


def test_cosine_scores_outside_0_1_say_divide_by_5(standin, scratch_dir):
    with pytest.raises(el.errors.InputError) as error:
        _run(standin, "cosine", _pairs([0.2, 5.0], "score"))
    assert "column 'score', row 1: score 5.0 is outside [0, 1]" in str(error.value)
    assert "0-5 scores must be divided by 5" in str(error.value)
    assert list(scratch_dir.iterdir()) == []


def test_a_softmax_loss_is_checked_with_its_own_classes(standin):
    two = SoftmaxLoss(standin, standin.get_embedding_dimension(), num_labels=2)
    with pytest.raises(el.errors.InputError, match="label 2 is not a class"):
        check_loss_data(two, _pairs([0, 2]))
    with pytest.raises(el.errors.InputError, match="label 7 is not a class"):
        _run(standin, "softmax", _pairs([0, 7]))


@pytest.mark.parametrize("helper", [el.data.nli_pairs, el.data.cosine_pairs, el.data.mnr_triplets])
@pytest.mark.parametrize("label", [0.5, 1.7, 2.9])
def test_fractional_nli_labels_are_refused_not_truncated(helper, label):
    rows = Dataset.from_dict(
        {"premise": ["p", "q", "r"], "hypothesis": ["h", "i", "j"], "label": [0.0, label, 2.0]}
    )
    with pytest.raises(el.errors.InputError) as error:
        helper(rows)
    assert "NLI labels must be whole numbers 0 (entailment)" in str(error.value)
    assert f"found [{label}]" in str(error.value) and "not rounded" in str(error.value)


# --- 3. loops over learner data end --------------------------------------------------------


def test_mnr_triplets_with_one_premise_stops_with_a_message():
    rows = Dataset.from_dict(
        {"premise": ["p"] * 3, "hypothesis": ["a", "b", "c"], "label": [0, 0, 0]}
    )
    with within(10), pytest.raises(el.errors.InputError) as error:
        el.data.mnr_triplets(rows)
    assert "all 3 entailment rows share one premise" in str(error.value)
    assert "at least 2 distinct premises" in str(error.value)


def test_random_negatives_with_one_positive_stops_with_a_message():
    pairs = Dataset.from_dict({"anchor": ["a", "b", "c"], "positive": ["p"] * 3})
    with within(10), pytest.raises(el.errors.InputError) as error:
        el.methods.negatives.random_negatives(pairs)
    assert "all 3 rows have the same positive" in str(error.value)
    assert "at least 2 distinct positives" in str(error.value)


# --- 4. data helpers and losses -------------------------------------------------------------


@pytest.mark.parametrize("n_rows", [0, -5, True, 2.5, "100"])
def test_load_nli_refuses_odd_row_counts(n_rows):
    with pytest.raises(el.errors.InputError) as error:
        el.load_nli("mnli", "train", n_rows=n_rows)
    assert f"n_rows={n_rows!r} must be a whole number >= 1, e.g. n_rows=1000" in str(error.value)


def test_load_nli_takes_numpy_row_counts():
    assert len(el.load_nli("mnli", "train", n_rows=np.int64(5))) == 5


def test_stsb_evaluator_names_how_many_rows_exist():
    with pytest.raises(el.errors.InputError) as error:
        el.evaluation.stsb_evaluator(rows=[99999])
    assert "row 99,999 is outside STS-B validation, which has 1,500 rows" in str(error.value)


def test_cli_eval_rows_beyond_the_split_exits_2(capsys):
    assert train_cli.main(["--recipe", "softmax", "--eval-rows", "99999"]) == 2
    err = capsys.readouterr().err
    assert "which has 1,500 rows (positions 0 to 1,499)" in err and "--eval-rows 1500" in err
    assert "Traceback" not in err


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
    with pytest.raises(el.errors.DataUnavailableError) as error:
        el.load_nli("mnli", "train", n_rows=5)
    message = str(error.value)
    assert f"{path}, line 21: not valid JSON" in message
    assert "copy it again from the lab kit or the shared data folder" in message


def test_a_non_json_line_names_the_file_and_line(data_copy):
    path = data_copy / "mnli" / "train.jsonl"
    _rewrite_line(path, 7, "<<<<<<< HEAD")
    with pytest.raises(
        el.errors.DataUnavailableError, match=r"train.jsonl, line 7: not valid JSON"
    ):
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
    with pytest.raises(el.errors.DataUnavailableError) as error:
        load()
    assert f"{file.split('/')[1]}, {problem}" in str(error.value)


# --- 6. the doctor reads what it reports, checks the runs folder, asks the Hub --------------


@pytest.fixture()
def full_copy(tmp_path, monkeypatch):
    """A private copy of every shared data file, set as EMBEDLAB_DATA_DIR."""
    root = tmp_path / "data"
    for path in SHARED.rglob("*.jsonl"):
        target = root / path.relative_to(SHARED)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    monkeypatch.setenv("EMBEDLAB_DATA_DIR", str(root))
    return root


def test_the_doctor_parses_every_data_file_it_reports(full_copy):
    assert not doctor.diagnose().problems
    path = full_copy / "mnli" / "validation_matched.jsonl"
    _rewrite_line(path, 21, '{"premise": "cut off')
    diagnosis = doctor.diagnose()
    assert [p.what.split(" (")[0] for p in diagnosis.problems] == [
        f"{path} is damaged: line 21: not valid JSON"
    ]
    assert diagnosis.blocked and "copy the file again" in diagnosis.problems[0].fix
    details = "\n".join(diagnosis.details)
    assert "  BAD  mnli/validation_matched.jsonl: line 21: not valid JSON" in details


def test_the_doctor_checks_the_runs_folder(tmp_path, monkeypatch):
    in_the_way = tmp_path / "runs-file"
    in_the_way.write_text("not a folder")
    monkeypatch.setenv("EMBEDLAB_RUNS_DIR", str(in_the_way))
    diagnosis = doctor.diagnose()
    assert diagnosis.blocked
    problem = next(p for p in diagnosis.problems if "runs folder" in p.what)
    assert problem.what.startswith("the runs folder cannot be written, so no run could be saved")
    assert "EMBEDLAB_RUNS_DIR" in problem.fix


@contextmanager
def _server(body: bytes, content_type: str = "text/html"):
    """A local HTTP server that answers every GET with ``body``."""
    import http.server
    import threading

    class Answer(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the library's name)
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_an_endpoint_that_is_not_a_hub_fails_the_hub_check(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)  # read at import
    with _server(b"<html>proxy login</html>") as url:
        monkeypatch.setenv("HF_ENDPOINT", url)
        sources.hub_reachable.cache_clear()
        assert sources.hub_reachable() is False
        diagnosis = doctor.diagnose()
    assert "does not answer with a Hub's JSON: not a Hub" in diagnosis.facts["hub"]
    problem = next(p for p in diagnosis.problems if "HF_ENDPOINT" in p.what)
    assert problem.what.startswith(f"HF_ENDPOINT={url} is not a Hugging Face Hub")
    assert "correct HF_ENDPOINT" in problem.fix and diagnosis.blocked


def test_a_server_that_answers_like_a_hub_counts(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)  # read at import
    with _server(b'{"id": "bert-base-uncased"}', "application/json") as url:
        monkeypatch.setenv("HF_ENDPOINT", url)
        assert sources.probe_hub(timeout=2) is None


# --- 7. exercise checkers: a time limit, and a verdict for SystemExit -------------------------


def test_an_endless_answer_gets_a_verdict_when_time_runs_out(monkeypatch):
    monkeypatch.setenv("EMBEDLAB_CHECK_SECONDS", "0.5")

    def endless(u, v):
        while True:
            pass

    with within(10):
        result = ex.check_cosine(endless)
    assert result.verdict == "not yet"
    assert result.message.startswith("your answer was still running after 0.5 s")
    assert "a loop that never ends" in result.message


def test_an_answer_that_swallows_exceptions_is_still_stopped(monkeypatch):
    monkeypatch.setenv("EMBEDLAB_CHECK_SECONDS", "0.3")

    def stubborn(u, v):
        while True:
            try:
                pass
            except Exception:
                pass

    with within(10):
        assert "still running after 0.3 s" in ex.check_cosine(stubborn).message


def test_system_exit_from_an_answer_gets_a_verdict():
    def leaves(u, v):
        raise SystemExit(3)

    result = ex.check_cosine(leaves)
    assert result.verdict == "not yet"
    assert "your function raised SystemExit" in result.message
    assert "exit() and sys.exit() stop the whole program" in result.message


def test_system_exit_from_a_returned_value_gets_a_verdict():
    class Exits:
        def __array__(self, *args, **kwargs):
            raise SystemExit("bye")

    result = ex.check_cosine(lambda u, v: Exits())
    assert result.verdict == "not yet"
    assert result.message.startswith("your answer raised SystemExit: bye")


def test_an_answer_that_patches_its_checker_gets_no_pass_and_the_checker_is_restored():
    import embedlab.classroom.exercises.nb01_contrastive as checker_module

    original = checker_module.close

    def cheat(u, v):
        checker_module.close = lambda *args, **kwargs: True  # every comparison "passes"
        return 0.0

    result = ex.check_cosine(cheat)
    assert result.verdict == "not yet"
    assert (
        "changed the checker itself (embedlab.classroom.exercises.nb01_contrastive.close)"
        in result.message
    )
    assert checker_module.close is original
    honest = ex.check_cosine(lambda u, v: float(u @ v / np.linalg.norm(u) / np.linalg.norm(v)))
    assert honest.passed


class _EqualsAnything(str):
    """A string that claims to equal every other string, however it is compared."""

    def lower(self):
        return self

    def strip(self, *args):
        return self

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = str.__hash__


def test_a_string_that_equals_anything_does_not_pass_a_text_check():
    fooling = {label: _EqualsAnything("?") for label in (0, 1, 2)}
    result = ex.check_nli_label_mapping(fooling)
    assert result.verdict == "not yet"
    assert "label 0 should map to 'entailment', you gave '?'" in result.message

    def damage(text, ratio=0.6):
        return _EqualsAnything("zzz")

    assert not ex.check_deletion_noise(damage).passed


def test_keyboard_interrupt_still_stops_a_check():
    def interrupted(u, v):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ex.check_cosine(interrupted)


# --- 8. lab-kit manifests and links ---------------------------------------------------------


@pytest.mark.parametrize(
    "manifest, message",
    [
        ({"profile": 5}, "'profile' must be one of ['full', 'quick'], got 5"),
        ({"rows": ["mnli/train.jsonl"]}, "'rows' must map each file to its number of rows"),
        ({"rows": "many"}, "'rows' must map each file to its number of rows"),
        (["quick"], "the manifest must be a JSON object with 'profile' and 'rows', not a list"),
    ],
)
def test_a_malformed_manifest_is_one_message_and_exit_2(tmp_path, capsys, manifest, message):
    (tmp_path / labkit.MANIFEST).write_text(json.dumps(manifest))
    assert labkit.main(["verify", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("embedlab-labkit: ") and message in err
    assert "download the kit again" in err and "Traceback" not in err


def test_a_kit_file_that_is_a_link_is_refused(tmp_path):
    (tmp_path / "mnli").mkdir()
    (tmp_path / "mnli" / "train.jsonl").symlink_to("/etc/passwd")
    report = labkit.verify(tmp_path)
    check = next(c for c in report.checks if c.item == "mnli/train.jsonl")
    assert check.status == "fail"
    assert check.detail.startswith("mnli/train.jsonl is a symbolic link (to /etc/passwd)")
    assert "copy the file itself into the kit" in check.detail


def test_a_label_outside_nli_is_named_by_verify(tmp_path):
    (tmp_path / "mnli").mkdir()
    row = {"premise": "a", "hypothesis": "b", "label": 7, "idx": 0}
    (tmp_path / "mnli" / "train.jsonl").write_text(json.dumps(row) + "\n")
    check = next(c for c in labkit.verify(tmp_path).checks if c.item == "mnli/train.jsonl")
    assert check.detail.startswith("line 1: label 7 is not an NLI label")


# --- 9. the full profile on a CPU trains the stand-in: said, and recorded apart -------------


def test_the_stand_in_under_the_full_profile_is_warned_and_recorded_apart(standin, train_recorded):
    assert recorded_profile(el.profiles.QUICK, standin) == "quick"
    assert recorded_profile(el.profiles.FULL, standin) == "full-standin"
    model = el.load_base_model(el.profiles.FULL)  # offline: bert-base-uncased is replaced
    pairs = el.data.cosine_pairs(el.load_nli("mnli", "train", n_rows=8))
    with pytest.warns(UserWarning) as warned:
        result = train_recorded(
            model,
            pairs,
            el.profiles.FULL.with_changes(warmup_steps=0),
            trainer=cosine_trainer,
            recipe="cosine",
            evaluator=el.evaluation.stsb_evaluator(rows=range(8)),
            max_steps=1,
        )
    text = " ".join(str(w.message) for w in warned)
    assert "the full profile's base model bert-base-uncased is not available here" in text
    assert "recorded as profile 'full-standin'" in text
    assert result.record["profile"] == "full-standin"
    assert el.training.ledger.latest_run("cosine", profile="full") is None
