"""Shared fixtures: offline data from ../shared/data, a private runs folder, no network."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def offline_environment(tmp_path, monkeypatch):
    """Every test runs offline, on the shared data, with its own runs folder, and without
    untrained scores remembered by an earlier test (embedlab.evaluation.scores_before_training)."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    if "EMBEDLAB_DATA_DIR" not in os.environ:
        monkeypatch.setenv("EMBEDLAB_DATA_DIR", str(SHARED_DATA))
    monkeypatch.setenv("EMBEDLAB_RUNS_DIR", str(tmp_path / "runs"))
    # an empty reference ledger: a test sees the runs it makes (tests of the shipped
    # reference point EMBEDLAB_REFERENCE_DIR back at it)
    monkeypatch.setenv("EMBEDLAB_REFERENCE_DIR", str(tmp_path / "reference"))
    monkeypatch.delenv("EMBEDLAB_ALL_SEEDS", raising=False)
    from embedlab.evaluation import forget_scores
    from embedlab.sources import hub_reachable

    hub_reachable.cache_clear()
    forget_scores()
    yield
    hub_reachable.cache_clear()


@pytest.fixture(scope="session")
def standin():
    """The quick profile's stand-in base model (built once per session)."""
    import embedlab as el

    return el.load_base_model(el.profiles.QUICK)


def ledger_record(recipe: str = "cosine", seed: int | None = 42, trained: float = 0.5, **fields):
    """A valid ledger record of ``recipe`` with small made-up numbers; ``fields`` set any key."""
    return {
        "notebook": "03_cosine_similarity_loss",
        "recipe": recipe,
        "profile": "quick",
        "base_model": "embedlab-bert-4x128",
        "n_train": 10,
        "steps": 5,
        "seconds": 1.0,
        "peak_memory_mb": 1.0,
        "untrained": {"spearman_cosine": 0.4},
        "trained": {"spearman_cosine": trained},
        "model_path": "",
        "seed": seed,
        **fields,
    }


@pytest.fixture
def make_record():
    """:func:`ledger_record`, for tests that write ledgers."""
    return ledger_record


@pytest.fixture()
def train_recorded(tmp_path):
    """``train(model, dataset, profile, ...)``: a run the way the notebooks train one, through
    a notebook's ``#@save`` trainer function (default notebook 04's ``mnr_trainer``) inside
    ``recorded_run``; returns the run's result."""
    import embedlab as el
    from embedlab.evaluation import stsb_evaluator
    from embedlab.recipes.mnr import mnr_trainer

    def train(
        model,
        dataset,
        profile,
        *,
        trainer=mnr_trainer,
        notebook="t",
        recipe="r",
        evaluator=None,
        max_steps=None,
        **recorded,
    ):
        evaluator = evaluator or stsb_evaluator(rows=list(range(300)))
        built = trainer(model, dataset, profile, evaluator, output_dir=str(tmp_path / "scratch"))
        if max_steps is not None:
            built.args.max_steps = max_steps
        with el.recorded_run(
            built, notebook=notebook, recipe=recipe, profile=profile, **recorded
        ) as run:
            built.train()
        return run.result

    return train
