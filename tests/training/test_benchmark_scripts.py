"""The benchmark scripts run end to end (tiny settings): they are not tests, but they must work
when a GPU or an idle machine is at hand."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _script(name: str):
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_the_gpu_benchmark_smoke_test_measures_every_kind_of_cell(tmp_path, capsys):
    gpu = _script("gpu_full_profile")
    cells = ["softmax", "sweep-128", "tsdae", "cross-encoder"]
    argv = ["--shape", "tiny", "--steps", "3", "--skip", "1", "--rows", "400", "--allow-cpu"]
    assert gpu.main([*argv, "--results", str(tmp_path), "--cells", *cells]) == 0
    info = json.loads((tmp_path / "gpu-tiny.json").read_text())
    assert [r["cell"] for r in info["rows"]] == cells
    for r in info["rows"]:
        assert r["seconds_per_step"] > 0 and r["measured_steps"] == 3
        assert r["projected_s"] == pytest.approx(
            r["seconds_per_step"] * r["run_steps"], abs=0.05 + 5e-5 * r["run_steps"]
        )
        assert r["peak_gb"] is None  # no GPU here
    steps = {r["cell"]: r["run_steps"] for r in info["rows"]}
    assert steps["softmax"] == 1563 and info["rows"][0]["book_t4_s"] == 372  # 50,000 rows / 32
    assert steps["tsdae"] == 1563 and steps["cross-encoder"] == 625  # 25,000 / 16; 10,000 / 16
    assert 0 < steps["sweep-128"] < 50_000 / 128  # the entailment rows of 50,000
    table = (tmp_path / "gpu-tiny.md").read_text()
    assert "| softmax | 02 | 32 |" in table and "| tsdae | 07 | 16 |" in table


def test_the_gpu_benchmark_says_it_needs_a_gpu(capsys):
    gpu = _script("gpu_full_profile")
    with pytest.raises(SystemExit):
        gpu.main(["--shape", "tiny"])
    assert "no CUDA GPU here" in capsys.readouterr().err


def test_the_overhead_benchmark_writes_its_paired_ratios(tmp_path):
    bench = _script("run_benchmark")
    argv = ["--overhead-only", "--overhead-steps", "3", "--overhead-repeats", "2", "--rows", "400"]
    assert bench.main([*argv, "--results", str(tmp_path)]) == 0
    info = json.loads((tmp_path / "overhead-quick.json").read_text())
    cost = info["overhead"]
    assert len(cost["ratios_paired"]) == 2 and cost["steps"] == 3
    assert all(r > 0 for r in cost["ratios_paired"])
    assert "median" in (tmp_path / "overhead-quick.md").read_text()
