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


def test_the_reference_is_written_from_a_runs_folder_stamped_and_without_paths(
    tmp_path, make_record
):
    make_reference = _script("make_reference")
    runs = tmp_path / "runs"
    runs.mkdir()
    lines = [
        make_record(
            "cosine", 42, 0.1, notebook="03_cosine_similarity_loss", model_path="/tmp/x"
        ),  # replaced by the next
        make_record("cosine", 42, 0.55, notebook="03_cosine_similarity_loss", model_path="/tmp/x"),
        make_record("cosine", 43, 0.56, notebook="03_cosine_similarity_loss", model_path="/tmp/x"),
        make_record(
            "cosine", 45, 0.9, notebook="03_cosine_similarity_loss", model_path="/tmp/x"
        ),  # not one of SEEDS
        make_record(
            "cosine",
            44,
            0.9,
            notebook="03_cosine_similarity_loss",
            profile="full",
            model_path="/tmp/x",
        ),
        make_record(
            "softmax", 42, 0.47, notebook="02_softmax_loss", model_path="/tmp/x"
        ),  # another notebook
    ]
    (runs / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    out = tmp_path / "reference" / "quick.jsonl"
    out.parent.mkdir()
    kept = make_record(
        "mnr-soft", 42, 0.63, notebook="04_mnr_loss_and_hard_negatives", model_path="/tmp/x"
    )
    out.write_text(json.dumps(kept) + "\n")
    argv = ["--from-runs", str(runs), "--notebooks", "03", "--threads", "1", "--out", str(out)]
    assert make_reference.main(argv) == 0
    written = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["notebook"][:2], r["seed"], r["trained"]["spearman_cosine"]) for r in written] == [
        ("03", 42, 0.55),
        ("03", 43, 0.56),
        ("04", 42, 0.63),  # another notebook's record is kept
    ]
    made = written[0]["made_with"]
    assert made["torch_threads"] == 1 and "transformers" in made["versions"] and made["commit"]
    assert all(r["model_path"] == "" for r in written[:2])
