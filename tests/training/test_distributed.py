"""Data-parallel training on two CPU processes (gloo), launched by torchrun like on GPUs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sentence_transformers import SentenceTransformer

import embedlab as el
from embedlab.training import distributed

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO.parent / "shared" / "data"
EVAL_ROWS = 200


def test_one_process_without_a_launcher(monkeypatch):
    for name in ("WORLD_SIZE", "RANK"):
        monkeypatch.delenv(name, raising=False)
    assert (distributed.world_size(), distributed.rank(), distributed.is_main_process()) == (1, 0, True)  # fmt: skip
    assert distributed.ddp_backend() is None


def test_several_cpu_processes_use_gloo(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    assert distributed.world_size() == 2 and not distributed.is_main_process()
    assert distributed.ddp_backend() == "gloo"


@pytest.fixture(scope="module")
def two_process_run(tmp_path_factory):
    """mnr-soft for 4 steps on 2 processes, evaluating at steps 2 and 4 (about 30 s)."""
    output = tmp_path_factory.mktemp("ddp")
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2"]
    command += ["--standalone", "-m", "embedlab_tools.train", "--recipe", "mnr-soft"]
    command += ["--profile", "quick", "--rows", "400", "--max-steps", "4", "--eval-steps", "2"]
    command += ["--eval-rows", str(EVAL_ROWS), "--output", str(output)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}  # module scope: set here, not by conftest
    env.setdefault("EMBEDLAB_DATA_DIR", str(SHARED_DATA))
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=REPO, env=env)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return output, done.stdout + done.stderr


def test_two_processes_record_one_run(two_process_run):
    output, log = two_process_run
    records = el.training.ledger.read_ledger(path=output / "results.jsonl")
    assert len(records) == 1
    record = records[0]
    assert record["recipe"] == "mnr-soft" and record["world_size"] == 2 and record["steps"] == 4
    assert log.count("2 process(es)") == 1  # the summary is printed by the main process only
    assert log.count("eval_sts-dev_spearman_cosine") == 2  # evaluated during training, no hang


def test_two_processes_save_one_model_that_loads_and_scores(two_process_run):
    output, _ = two_process_run
    (saved,) = list((output / "models").iterdir())
    model = SentenceTransformer(str(saved))
    scores = el.evaluation.evaluate_sts(
        model, el.evaluation.stsb_evaluator(rows=list(range(EVAL_ROWS)))
    )
    assert -1 <= scores["spearman_cosine"] <= 1
    record = el.training.ledger.read_ledger(path=output / "results.jsonl")[0]
    assert scores["spearman_cosine"] == pytest.approx(
        record["trained"]["spearman_cosine"], abs=2e-3
    )
    assert record["trained"] != record["untrained"]  # the saved model is the trained one
