"""Faults in what the suite writes: the base model, trained models, the runs folder (issue 15).

Each test asserts the message a learner sees and that nothing earlier was lost.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import time
from pathlib import Path

import pytest
from recorded import one_cosine_step as _run
from sentence_transformers import SentenceTransformer

import embedlab as el
from embedlab import models
from embedlab.artefacts import MANIFEST, manifest_problem, safe_name, write_folder
from embedlab.interactive.explorers import load_choice
from embedlab.training import ledger
from embedlab_tools import build_base

TINY = el.profiles.QUICK.with_changes(warmup_steps=0)
SENTENCES = ["A cat sits on the mat.", "Stocks fell."]


# --- the shipped base model -----------------------------------------------------------------


def test_the_shipped_base_model_matches_its_manifest():
    assert manifest_problem(build_base.SHIPPED_BASE) is None
    listed = json.loads((build_base.SHIPPED_BASE / MANIFEST).read_text())["files"]
    assert {"model.safetensors", "config.json", "tokenizer.json", "build.json"} <= set(listed)


@pytest.fixture()
def shipped_copy(tmp_path, monkeypatch):
    """A copy of the shipped base model that the package uses instead of its own."""
    copy = tmp_path / "base_model"
    shutil.copytree(build_base.SHIPPED_BASE, copy)
    monkeypatch.setattr(models, "SHIPPED_BASE", copy)
    return copy


def _damage(kind: str, weights: Path) -> None:
    data = weights.read_bytes()
    if kind == "empty":
        weights.write_bytes(b"")
    elif kind == "truncated":
        weights.write_bytes(data[: len(data) // 2])
    elif kind == "altered":
        weights.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    else:
        weights.unlink()


@pytest.mark.parametrize(
    ("kind", "problem"),
    [
        ("empty", "model.safetensors is empty (0 bytes; 19261432 expected)"),
        ("truncated", "model.safetensors has 9630716 bytes, 19261432 expected (a partial write)"),
        ("altered", "model.safetensors does not match its SHA-256 checksum"),
        ("missing", "model.safetensors is missing"),
    ],
)
def test_a_damaged_base_model_is_named_never_loaded(shipped_copy, kind, problem):
    assert el.models.quick_base_path() == shipped_copy
    _damage(kind, shipped_copy / "model.safetensors")
    for load in (el.models.quick_base_path, lambda: el.load_base_model(el.profiles.QUICK)):
        with pytest.raises(el.errors.ModelUnavailableError) as failed:
            load()
        message = str(failed.value)
        assert f"base model in {shipped_copy} is damaged: {problem}" in message
        assert "git checkout -- embedlab/base_model" in message
        assert "pip install --force-reinstall embedlab" in message


def test_a_base_model_without_its_manifest_is_refused(shipped_copy):
    (shipped_copy / MANIFEST).unlink()
    with pytest.raises(el.errors.ModelUnavailableError, match="damaged: manifest.json is missing"):
        el.models.quick_base_path()


BUILD_FLAGS = ["--probe-every", "0", "--threads", "1", "--hidden-size", "32"]
BUILD_FLAGS += ["--num-hidden-layers", "1", "--num-attention-heads", "2"]
BUILD_FLAGS += ["--intermediate-size", "64", "--batch-size", "16", "--steps", "2"]
BUILD_FLAGS += ["--warmup-steps", "1"]


def test_an_interrupted_build_leaves_the_earlier_base_whole(tmp_path, monkeypatch):
    out = tmp_path / "base"  # an earlier, whole build: a copy of the shipped one
    write_folder(out, lambda f: shutil.copytree(build_base.SHIPPED_BASE, f, dirs_exist_ok=True))
    assert manifest_problem(out) is None
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    from transformers import BertForMaskedLM

    def killed_after_the_weights(self, folder, *args, **kwargs):
        (Path(folder) / "model.safetensors").write_bytes(b"\0" * 64)  # half-written
        raise KeyboardInterrupt  # the build is stopped here

    monkeypatch.setattr(BertForMaskedLM, "save_pretrained", killed_after_the_weights)
    with pytest.raises(KeyboardInterrupt):
        build_base.main(["--out", str(out), *BUILD_FLAGS])
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert manifest_problem(out) is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base"]  # no partial folder left


# --- writing a folder whole, or not at all ----------------------------------------------------


def _save_into(model: SentenceTransformer):
    return lambda folder: model.save(str(folder))


def test_a_failed_save_keeps_the_previous_model_loadable(standin, tmp_path):
    target = tmp_path / "models" / "run"
    write_folder(target, _save_into(standin))
    expected = standin.encode(SENTENCES)

    def fails_midway(folder: Path) -> None:
        standin.save(str(folder))
        (folder / "config.json").write_text("")  # a 0-byte config, as a kill left it
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        write_folder(target, fails_midway)
    assert manifest_problem(target) is None
    assert SentenceTransformer(str(target)).encode(SENTENCES) == pytest.approx(expected, abs=1e-5)
    assert [p.name for p in target.parent.iterdir()] == ["run"]


def test_a_save_killed_by_sigkill_keeps_the_previous_model(standin, tmp_path):
    target = tmp_path / "models" / "run"
    write_folder(target, _save_into(standin))
    before = {p.relative_to(target): p.read_bytes() for p in target.rglob("*") if p.is_file()}

    def killed(folder: Path) -> None:
        standin.save(str(folder))
        (folder / "config.json").write_text("")
        os.kill(os.getpid(), signal.SIGKILL)

    pid = os.fork()
    if pid == 0:  # the child saves over the model and is killed mid-way
        try:
            write_folder(target, killed)
        finally:
            os._exit(1)
    for _ in range(600):  # at most a minute
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
        pytest.fail("the child neither saved nor was killed within a minute")
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    after = {p.relative_to(target): p.read_bytes() for p in target.rglob("*") if p.is_file()}
    assert after == before and manifest_problem(target) is None
    leftovers = [p.name for p in target.parent.iterdir() if p.name != "run"]
    assert leftovers == [
        f".run.partial-{pid}"
    ]  # hidden, never listed, and cleared by the next save
    write_folder(target, _save_into(standin))
    assert [p.name for p in target.parent.iterdir()] == ["run"]


def test_a_kill_between_the_two_renames_is_undone_by_the_next_save(standin, tmp_path):
    target = tmp_path / "models" / "run"
    write_folder(target, _save_into(standin))
    target.replace(target.with_name(".run.old-999999999"))  # as a kill there leaves it
    write_folder(target, lambda folder: (folder / "note.txt").write_text("new"))
    assert (target / "note.txt").read_text() == "new"
    assert [p.name for p in target.parent.iterdir()] == ["run"]


def test_the_explorer_names_a_damaged_saved_model(standin, tmp_path):
    target = tmp_path / "saved"
    write_folder(target, _save_into(standin))
    (target / "model.safetensors").write_bytes(b"")
    with pytest.raises(el.errors.ModelUnavailableError) as failed:
        load_choice(str(target))
    assert str(failed.value).startswith(
        f"the saved model in {target} is damaged: model.safetensors is empty (0 bytes;"
    )
    assert "Train it again" in str(failed.value)


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("02_softmax_loss", "02_softmax_loss"),
        ("panel-tsdae-0.6", "panel-tsdae-0.6"),
        ("../../escape", "escape"),
        ("/etc/passwd", "etc-passwd"),
        ("a b/..\\c", "a-b-c"),
        (".hidden", "hidden"),
    ],
)
def test_names_become_safe_folder_names(name, slug):
    assert safe_name(name) == slug


@pytest.mark.parametrize("name", ["", "..", "/", " ./ "])
def test_a_name_with_nothing_safe_left_is_refused(name):
    with pytest.raises(
        el.errors.InputError, match="cannot become a folder name: use letters, digits"
    ):
        safe_name(name)


# --- the runs folder, checked before any training ------------------------------------------------


def test_a_path_in_a_name_never_writes_outside_the_models_folder(standin, tmp_path, caplog):
    runs = el.training.ledger.check_runs_dir()
    with caplog.at_level("WARNING", logger="embedlab.training.run"):
        result = _run(standin, notebook="../../escape", recipe="../up")
    folder = "escape~efbf103b--up~8c722b8a--quick--seed42"  # "~" + a hash: changed names
    assert result.model_path == str(runs / "models" / folder)
    assert f"saved as {folder} (a safe folder name)" in caplog.text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs"]
    assert sorted(p.name for p in runs.iterdir()) == ["models", "results.jsonl"]
    assert manifest_problem(result.model_path) is None
    (record,) = el.training.ledger.read_ledger()
    assert record["notebook"] == "../../escape" and record["model_path"] == result.model_path
    assert result.model_path in el.interactive.explorers.model_choices().values()


def _must_not_train(monkeypatch):
    def trained(*args, **kwargs):
        raise AssertionError("training started before the runs folder was checked")

    from embedlab.training import run as training

    monkeypatch.setattr(training, "_scores_before", trained)
    monkeypatch.setattr(training, "_evaluate_shared", trained)


FIX = "Set EMBEDLAB_RUNS_DIR to a writable folder (or fix this one) and run again."


def test_a_file_in_place_of_the_runs_folder_stops_before_training(standin, tmp_path, monkeypatch):
    _must_not_train(monkeypatch)
    runs = tmp_path / "runs"
    runs.write_text("not a folder")
    with pytest.raises(el.errors.StorageError) as failed:
        _run(standin)
    assert str(failed.value) == (
        f"the runs folder {runs} cannot be created (a file is in its place): set "
        "EMBEDLAB_RUNS_DIR to a writable folder (or move what is in the way) and run again."
    )
    with pytest.raises(
        el.errors.StorageError, match=f"{runs} cannot take models and results: it is a file"
    ):
        el.training.ledger.check_runs_dir(runs)
    assert runs.read_text() == "not a folder"


def test_a_ledger_that_is_a_folder_stops_before_training(standin, monkeypatch):
    el.training.ledger.record_run(_record())
    runs = el.training.ledger.check_runs_dir()
    ledger_file = runs / "results.jsonl"
    ledger_file.rename(runs / "kept.jsonl")
    ledger_file.mkdir()
    _must_not_train(monkeypatch)
    with pytest.raises(el.errors.StorageError) as failed:
        _run(standin)
    assert str(failed.value) == (
        f"the runs folder {runs} cannot take models and results: {ledger_file} is not a file "
        f"(a folder?): move it away. {FIX}"
    )
    assert sorted(p.name for p in (runs / "models").iterdir()) == []  # no model without a record
    assert el.training.ledger.read_ledger() == []  # the table shows nothing rather than crash
    with pytest.raises(el.errors.StorageError) as failed:
        el.training.ledger.record_run(_record())
    assert str(failed.value).startswith(
        f"the ledger {ledger_file} cannot be written (Is a directory), so this record was not "
        'saved: {"base_model": "x",'
    )


def test_a_models_entry_that_is_a_file_stops_before_training(standin, monkeypatch):
    runs = el.training.ledger.check_runs_dir()
    shutil.rmtree(runs / "models")
    (runs / "models").write_text("")
    _must_not_train(monkeypatch)
    with pytest.raises(
        el.errors.StorageError, match=re.escape(f"{runs / 'models'} is a file, not a folder. {FIX}")
    ):
        _run(standin)


def test_a_read_only_runs_folder_stops_before_training(standin, monkeypatch):
    runs = el.training.ledger.check_runs_dir()

    def read_only(folder: Path) -> None:
        raise PermissionError(13, "Permission denied", str(folder))

    monkeypatch.setattr(ledger, "_try_write", read_only)
    _must_not_train(monkeypatch)
    with pytest.raises(el.errors.StorageError) as failed:
        _run(standin)
    assert str(failed.value) == (
        f"the runs folder {runs} cannot take models and results: {runs} is not writable "
        f"(Permission denied). {FIX}"
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_really_read_only_runs_folder_is_reported(tmp_path):
    runs = tmp_path / "ro"
    (runs / "models").mkdir(parents=True)
    runs.chmod(0o500)
    try:
        with pytest.raises(el.errors.StorageError, match="is not writable"):
            el.training.ledger.check_runs_dir(runs)
    finally:
        runs.chmod(0o700)


def test_check_runs_dir_creates_and_returns_a_usable_folder(tmp_path):
    runs = el.training.ledger.check_runs_dir(tmp_path / "new" / "runs")
    assert runs == (tmp_path / "new" / "runs").resolve() and (runs / "models").is_dir()
    assert [p.name for p in runs.iterdir()] == ["models"]  # no probe file left behind


def _record() -> dict:
    return {
        "notebook": "t",
        "recipe": "cosine",
        "profile": "quick",
        "base_model": "x",
        "n_train": 1,
        "seconds": 1.0,
        "peak_memory_mb": 1.0,
        "untrained": {},
        "trained": {},
        "model_path": "",
    }
