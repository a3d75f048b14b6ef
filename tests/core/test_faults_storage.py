"""Faults in storage: a full disk, folders that turn read-only, short writes, odd ledger lines,
SIGTERM, and names that become alike (reliability review, rows 13, 21-23, 30, 32, 33, 38).

Each test asserts the message a learner sees and that nothing earlier was lost. A full disk
is simulated by short ``os.write`` returns and a small ``shutil.disk_usage``, a read-only
folder by ``PermissionError`` (the tests may run as root, where chmod stops nothing).
"""

from __future__ import annotations

import codecs
import errno
import json
import math
import os
import shutil
import signal
from collections import namedtuple
from pathlib import Path

import pytest
from recorded import one_cosine_step as _run

import embedlab as el
from embedlab.artefacts import distinct_name, manifest_problem, write_folder
from embedlab.training import ledger
from embedlab.training import run as training
from embedlab.training.ledger import ledger_path, read_ledger, record_run
from embedlab_tools import train as cli

TINY = el.profiles.QUICK.with_changes(warmup_steps=0)
RUN_FIX = "The run was not recorded in the ledger."


def _earlier_run(standin, make_record) -> tuple[Path, bytes, dict[Path, bytes]]:
    """A saved model and its ledger record, as an earlier run of ``t`` / ``cosine`` left them:
    the model folder, the ledger's bytes and the folder's files."""
    target = training.model_folder("t", "cosine", TINY)
    write_folder(target, lambda folder: standin.save(str(folder)))
    record_run(make_record(model_path=str(target)))
    files = {p: p.read_bytes() for p in target.rglob("*") if p.is_file()}
    return target, ledger_path().read_bytes(), files


def _must_not_train(monkeypatch):
    def trained(*args, **kwargs):
        raise AssertionError("training started before the runs folder was checked")

    monkeypatch.setattr(training, "_scores_before", trained)


# --- row 33: a ledger append the disk takes only part of -------------------------------------


def _short_writes(monkeypatch, landed: int):
    """``os.write`` writes ``landed`` bytes once, then finds the disk full."""
    real_write, calls = os.write, []

    def write(fd: int, data: bytes) -> int:
        calls.append(len(data))
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, bytes(data[:landed]))

    monkeypatch.setattr(ledger.os, "write", write)
    return calls


def test_a_ledger_line_the_disk_takes_only_part_of_is_taken_back_and_reported(
    monkeypatch, make_record
):
    record_run(make_record(trained=0.5))
    before = ledger_path().read_bytes()
    with monkeypatch.context() as patched:
        calls = _short_writes(patched, landed=148)
        with pytest.raises(el.errors.StorageError) as failed:
            record_run(make_record(trained=0.6))
    assert calls[0] > 148 and len(calls) == 2  # the rest was tried, not dropped
    message = str(failed.value)
    assert message.startswith(
        f"the ledger {ledger_path()} cannot be written (No space left on device), so this "
        'record was not saved: {"base_model": '
    )
    assert "Free some space on that disk (or set EMBEDLAB_RUNS_DIR" in message
    assert message.endswith("its earlier records are unchanged.")
    assert ledger_path().read_bytes() == before  # the 148 bytes were taken back
    assert [r["trained"]["spearman_cosine"] for r in read_ledger()] == [0.5]
    record_run(make_record(trained=0.7))  # the next append is whole, on its own line
    assert [r["trained"]["spearman_cosine"] for r in read_ledger()] == [0.5, 0.7]


def test_short_writes_that_go_on_write_the_whole_line(monkeypatch, make_record):
    real_write = os.write
    with monkeypatch.context() as patched:
        patched.setattr(ledger.os, "write", lambda fd, data: real_write(fd, bytes(data[:50])))
        record_run(make_record(trained=0.5))
        record_run(make_record(trained=0.6))
    assert [r["trained"]["spearman_cosine"] for r in read_ledger()] == [0.5, 0.6]


# --- row 32: too little free space, found before training -----------------------------------

Usage = namedtuple("Usage", "total used free")


def test_too_little_free_space_stops_before_training(standin, monkeypatch, make_record):
    target, ledger_before, files = _earlier_run(standin, make_record)
    monkeypatch.setattr(ledger.shutil, "disk_usage", lambda path: Usage(2**30, 2**30, 3 * 2**20))
    _must_not_train(monkeypatch)
    with pytest.raises(el.errors.StorageError) as failed:
        _run(standin)
    runs = ledger_path().parent
    message = str(failed.value)
    assert message.startswith(
        f"the runs folder {runs} has too little free space: 3.0 MB free in {runs / 'models'}, "
        "about "
    )
    needed = float(message.split("about ")[1].split(" MB")[0])
    weights = sum(p.numel() * p.element_size() for p in standin.parameters()) / 2**20
    assert needed > weights  # the model's own bytes, plus a margin
    assert "Free some space on that disk, or set EMBEDLAB_RUNS_DIR" in message
    assert ledger_path().read_bytes() == ledger_before
    assert {p: p.read_bytes() for p in target.rglob("*") if p.is_file()} == files


def test_a_disk_that_fills_during_the_save_keeps_the_earlier_model(
    standin, monkeypatch, make_record
):
    target, ledger_before, files = _earlier_run(standin, make_record)

    def full(self, folder: str, *args, **kwargs) -> None:
        (Path(folder) / "model.safetensors").write_bytes(b"\0" * 64)
        raise Exception("Error while serializing: I/O error: No space left on device (os error 28)")

    monkeypatch.setattr(type(standin), "save", full)
    with pytest.raises(el.errors.StorageError) as failed:
        _run(standin)
    assert str(failed.value) == (
        f"{target} could not be written: the disk is full (No space left on device); the "
        f"earlier folder there is unchanged. {RUN_FIX} Free some space or make that folder "
        "writable (or set EMBEDLAB_RUNS_DIR to another folder), and run again."
    )
    assert ledger_path().read_bytes() == ledger_before  # no record of a model that is not there
    assert {p: p.read_bytes() for p in target.rglob("*") if p.is_file()} == files
    assert manifest_problem(target) is None
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no partial left


# --- row 30: models/ turns read-only during training -------------------------------------------


def test_a_models_folder_that_turns_read_only_during_training(standin, monkeypatch, make_record):
    target, ledger_before, files = _earlier_run(standin, make_record)
    real_mkdir = Path.mkdir
    models = target.parent

    def read_only_mkdir(self: Path, *args, **kwargs) -> None:
        if self.parent == models:
            raise PermissionError(errno.EPERM, os.strerror(errno.EPERM), str(self))
        real_mkdir(self, *args, **kwargs)

    def read_only():  # chattr +i, as the probe did
        monkeypatch.setattr(Path, "mkdir", read_only_mkdir)

    with pytest.raises(el.errors.StorageError) as failed:
        _run(standin, after_training=read_only)
    monkeypatch.setattr(Path, "mkdir", real_mkdir)
    partial = models / f".{target.name}.partial-{os.getpid()}"
    assert str(failed.value).startswith(
        f"{target} could not be written: the folder is not writable (immutable or locked) "
        f"(Operation not permitted: {partial}); the earlier folder there is unchanged. {RUN_FIX}"
    )
    assert ledger_path().read_bytes() == ledger_before
    assert {p: p.read_bytes() for p in target.rglob("*") if p.is_file()} == files
    assert [p.name for p in models.iterdir()] == [target.name]


def test_the_runs_folder_check_writes_into_models(monkeypatch):
    tried = []
    monkeypatch.setattr(ledger, "_try_write", tried.append)
    runs = ledger.check_runs_dir()
    assert tried == [runs, runs / "models"]


# --- row 21: NaN scores ---------------------------------------------------------------------


def test_nan_scores_are_written_as_null_and_named(caplog, make_record):
    record_run(make_record(trained=0.5))
    before = ledger_path().read_bytes()
    scores = {"spearman_cosine": math.nan, "pearson_cosine": math.inf}
    with caplog.at_level("WARNING", logger="embedlab.training.ledger"):
        record_run(make_record(trained=0.6, untrained=scores))
    assert (
        "the ledger record of 'cosine' has values that are not numbers (NaN or infinite): "
        "untrained.spearman_cosine, untrained.pearson_cosine. They are recorded as null"
    ) in caplog.text
    text = ledger_path().read_bytes()
    assert text.startswith(before) and b"NaN" not in text and b"Infinity" not in text

    def strict(constant: str):
        raise ValueError(f"{constant} is not JSON")

    last = json.loads(text.splitlines()[-1], parse_constant=strict)  # any reader can parse it
    assert last["untrained"] == {"spearman_cosine": None, "pearson_cosine": None}
    assert last["not_finite"] == ["untrained.spearman_cosine", "untrained.pearson_cosine"]
    assert [r["trained"]["spearman_cosine"] for r in read_ledger()] == [0.5, 0.6]
    table = el.ledger_table()
    assert list(table["trained"]) == [0.6] and math.isnan(table["untrained"][0])


def test_a_recipe_whose_only_score_was_nan_is_shown_not_crashed(make_record):
    record_run(make_record(trained=math.nan))
    (row,) = el.ledger_table().to_dict("records")
    assert math.isnan(row["trained"])
    assert el.training.ledger.latest_run("cosine")["trained"] == {"spearman_cosine": None}


# --- row 22: a ledger saved with a UTF-8 byte-order mark -----------------------------------


def test_a_ledger_with_a_utf8_bom_is_read_whole(caplog, make_record):
    lines = [json.dumps(make_record(trained=t)) for t in (0.5, 0.6)]
    ledger_path().parent.mkdir(parents=True, exist_ok=True)
    ledger_path().write_bytes(codecs.BOM_UTF8 + "\r\n".join(lines).encode() + b"\r\n")
    with caplog.at_level("WARNING", logger="embedlab.training.ledger"):
        assert [r["trained"]["spearman_cosine"] for r in read_ledger()] == [0.5, 0.6]
    assert "skipped" not in caplog.text
    record_run(make_record(trained=0.7))
    assert [r["trained"]["spearman_cosine"] for r in read_ledger()] == [0.5, 0.6, 0.7]
    assert ledger_path().read_bytes().startswith(codecs.BOM_UTF8 + lines[0].encode())


# --- row 23: a pathologically nested line ---------------------------------------------------


def test_a_deeply_nested_line_is_skipped_with_the_usual_warning(caplog, make_record):
    from embedlab.interactive.dashboard import dashboard_table

    record_run(make_record(trained=0.5, seed=42))
    with ledger_path().open("a") as handle:
        handle.write("[" * 200_000 + "\n")
    record_run(make_record(trained=0.6, seed=1))
    with caplog.at_level("WARNING", logger="embedlab.training.ledger"):
        records = read_ledger()
    assert [r["trained"]["spearman_cosine"] for r in records] == [0.5, 0.6]
    assert (
        "skipped 1 bad ledger line(s) of" in caplog.text
        and "line 2: nested too deeply to read (not a ledger record)" in caplog.text
    )
    assert list(el.ledger_table()["trained"]) == [0.55]
    assert el.training.ledger.latest_run("cosine")["trained"]["spearman_cosine"] == 0.6
    assert list(dashboard_table()["recipe"]) == ["cosine"]
    assert len(el.interactive.explorers.model_choices()) == 2  # the built-in two
    spread = el.seed_spread("cosine", "quick", seeds=[42, 1])
    assert sorted(spread.values) == [0.5, 0.6]


# --- row 38: SIGTERM during embedlab-train ---------------------------------------------------


def test_sigterm_during_training_leaves_no_scratch_folder(tmp_path, monkeypatch):
    from sentence_transformers import SentenceTransformerTrainer

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(scratch))
    seen = []

    def terminated(self, *args, **kwargs):
        seen.extend(p.name for p in scratch.iterdir())
        os.kill(os.getpid(), signal.SIGTERM)  # as `kill <pid>` does mid-training
        raise AssertionError("SIGTERM did not stop training")

    monkeypatch.setattr(SentenceTransformerTrainer, "train", terminated)
    before = signal.getsignal(signal.SIGTERM)
    argv = ["--recipe", "cosine", "--profile", "quick", "--max-steps", "1", "--rows", "16"]
    with pytest.raises(SystemExit) as stopped:
        cli.main([*argv, "--eval-rows", "16"])
    assert stopped.value.code == 128 + signal.SIGTERM
    assert len(seen) == 1 and seen[0].startswith("embedlab-trainer-")  # it was there
    assert list(scratch.iterdir()) == []  # and is gone
    assert not ledger_path().exists()
    assert signal.getsignal(signal.SIGTERM) == before  # the handler is put back


# --- row 13: names that become alike ----------------------------------------------------------


def test_names_that_become_alike_get_their_own_folders():
    first = training.model_folder("02/x", "r", TINY)
    second = training.model_folder("02-x", "r", TINY)
    assert second.name == "02-x--r--quick--seed42"  # a name left as it was keeps its folder
    assert first.name == f"{distinct_name('02/x')}--r--quick--seed42" != second.name
    assert distinct_name("02/x").startswith("02-x~") and len(distinct_name("02/x")) == 13
    assert len({distinct_name(n) for n in ["02/x", "02-x", "02 x", "02//x", "02--x"]}) == 5
    write_folder(first, lambda folder: (folder / "note.txt").write_text("first"))
    write_folder(second, lambda folder: (folder / "note.txt").write_text("second"))
    assert (first / "note.txt").read_text() == "first"  # never replaced by the second
    assert (second / "note.txt").read_text() == "second"
    shutil.rmtree(second)
    assert manifest_problem(first) is None
