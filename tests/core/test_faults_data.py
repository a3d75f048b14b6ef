"""Fault rows of the reliability review about data (rows 5, 6, 40, 41, 43-47).

A damaged data file is named alike, with its file and line, by the loader, the doctor and
``embedlab-labkit verify`` (they share one check, :func:`embedlab.datafiles.read_checked`),
and nothing in the data folder is changed by looking.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from datasets import Dataset

import embedlab as el
from embedlab.classroom import doctor
from embedlab.datafiles import DATA_FILES, GENRE_FILE
from embedlab_tools import labkit

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture()
def data_copy(tmp_path, monkeypatch) -> Path:
    """A private, writable copy of every shared data file, set as EMBEDLAB_DATA_DIR."""
    root = tmp_path / "data"
    for kit_file in (*DATA_FILES, GENRE_FILE):
        target = root / kit_file.path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SHARED / kit_file.path, target)
        target.chmod(0o644)
    monkeypatch.setenv("EMBEDLAB_DATA_DIR", str(root))
    return root


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _write(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def _set(line: int, **values: object) -> Callable[[Path], None]:
    """Change some columns of one line (1-based)."""

    def change(path: Path) -> None:
        rows = _rows(path)
        rows[line - 1].update(values)
        _write(path, rows)

    return change


def _every(column: str, value: Callable[[int], object]) -> Callable[[Path], None]:
    def change(path: Path) -> None:
        _write(path, [{**r, column: value(i)} for i, r in enumerate(_rows(path))])

    return change


def _load(file: str) -> Dataset:
    return el.load_stsb("validation") if file.startswith("stsb") else el.load_nli("mnli", "train")


FAULTS = [  # row of the review, file, change, the problem all three name
    (40, "mnli/train.jsonl", lambda p: p.write_bytes(b""), "it holds no rows (an empty file)"),
    (
        43,
        "mnli/train.jsonl",
        _set(6, premise=5),
        "line 6: column 'premise' holds 5 (a number), not text",
    ),
    (
        44,
        "mnli/train.jsonl",
        _every("premise", lambda i: i),
        "line 1: column 'premise' holds 0 (a number), not text",
    ),
    (
        45,
        "stsb/validation.jsonl",
        _set(4, label=math.nan),
        "line 4: label nan is not an STS-B score",
    ),
    (
        45,
        "stsb/validation.jsonl",
        _set(2, label=math.inf),
        "line 2: label inf is not an STS-B score",
    ),
    (45, "mnli/train.jsonl", _set(3, label=math.nan), "line 3: label nan is not an NLI label"),
    (
        46,
        "stsb/validation.jsonl",
        _every("label", lambda i: 3.0),
        "all 1,500 scores are 3: with no spread, a rank correlation (the STS-B score) is undefined",
    ),
]


@pytest.mark.parametrize("row, file, change, problem", FAULTS)
def test_a_damaged_data_file_is_named_alike_by_loader_doctor_and_verify(
    data_copy, row, file, change, problem
):
    path = data_copy / file
    change(path)
    before = path.read_bytes()
    with pytest.raises(el.errors.DataUnavailableError) as error:
        _load(file)
    message = str(error.value)
    assert message.startswith(f"{path}"), message
    assert problem in message
    assert "copy it again from the lab kit or the shared data folder" in message
    diagnosis = doctor.diagnose()
    assert diagnosis.blocked
    assert any(f"{path} is damaged: {problem}" in p.what for p in diagnosis.problems)
    check = next(c for c in labkit.verify(data_copy).checks if c.item == file)
    assert check.status == "fail" and check.detail.startswith(problem), check.detail
    assert path.read_bytes() == before  # looking changed nothing


def test_a_data_file_with_a_bom_is_accepted_everywhere(data_copy):
    """Row 41: a UTF-8 BOM (Notepad) is stripped by all three, not refused by one."""
    path = data_copy / "mnli" / "train.jsonl"
    plain = el.load_nli("mnli", "train", n_rows=3)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    dataset = el.load_nli("mnli", "train", n_rows=3)
    assert dataset["premise"] == plain["premise"]
    assert not any("train.jsonl" in p.what for p in doctor.diagnose().problems)
    check = next(c for c in labkit.verify(data_copy).checks if c.item == "mnli/train.jsonl")
    assert check.status == "ok", check.detail


def test_graded_pairs_refuses_a_nan_score():
    """Row 5: a NaN score would make every result NaN."""
    stsb = Dataset.from_dict(
        {"sentence1": ["a", "b"], "sentence2": ["c", "d"], "label": [2.5, math.nan]}
    )
    with pytest.raises(el.errors.InputError) as error:
        el.data.graded_pairs(stsb)
    assert str(error.value).startswith("STS-B scores must be numbers in [0, 5]; row 1 has nan")
    good = el.data.graded_pairs(stsb.select([0]))
    assert good["score"] == [0.5]


def _old_mnr_negatives(anchors: list[str], positives: list[str], seed: int) -> list[str]:
    """The draws of mnr_triplets before row 6 (rejection sampling over all rows)."""
    rng = random.Random(seed)
    negatives = []
    for i, anchor in enumerate(anchors):
        j = rng.randrange(len(anchors))
        while j == i or anchors[j] == anchor:
            j = rng.randrange(len(anchors))
        negatives.append(positives[j])
    return negatives


def test_mnr_triplets_draws_as_before_on_the_real_rows():
    """Row 6: the notebooks' reference scores rest on these exact triplets."""
    dataset = el.data.load_training_nli(("mnli/train",))
    for seed in (42, 7):
        triplets = el.data.mnr_triplets(dataset, seed=seed)
        anchors, positives = list(triplets["anchor"]), list(triplets["positive"])
        assert list(triplets["negative"]) == _old_mnr_negatives(anchors, positives, seed)


def test_mnr_triplets_is_linear_for_a_crowded_premise():
    """Row 6: 20,000 rows of one premise and one other took minutes (quadratic)."""
    n = 20_000
    dataset = Dataset.from_dict(
        {
            "premise": ["p"] * n + ["q"],
            "hypothesis": [f"h{i}" for i in range(n + 1)],
            "label": [0] * (n + 1),
        }
    )
    start = time.monotonic()
    triplets = el.data.mnr_triplets(dataset, seed=42)
    assert time.monotonic() - start < 10
    assert set(triplets["negative"][:n]) == {f"h{n}"}  # the only row of another premise
    assert triplets["negative"][n] != f"h{n}"


def test_a_data_dir_that_is_a_file_is_named_as_a_file(tmp_path, monkeypatch):
    """Row 47: the loader and the doctor both say the path is a file, not a missing folder."""
    a_file = tmp_path / "data.jsonl"
    a_file.write_text('{"premise": "x"}\n')
    monkeypatch.setenv("EMBEDLAB_DATA_DIR", str(a_file))
    with pytest.raises(el.errors.DataUnavailableError, match="a file, not a folder") as caught:
        el.load_nli("mnli", "validation_matched", n_rows=10)
    assert "EMBEDLAB_DATA_DIR" in str(caught.value)
    diagnosis = doctor.diagnose()
    problem = next(p for p in diagnosis.problems if "EMBEDLAB_DATA_DIR" in p.what)
    assert problem.what.endswith("a file, not a folder") and "mnli/" in problem.fix
    assert a_file.read_text() == '{"premise": "x"}\n'  # nothing changed by looking
