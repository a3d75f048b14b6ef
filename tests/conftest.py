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


# --- parallel runs (pytest -n 2, pytest-xdist) -------------------------------------------
# Each notebook runs in one kernel, so all its cells must go to the same worker, in order.
# Notebooks 03 and 04 form one chain (04 reads the cosine seeds 03 wrote to the ledger).
# 04 also prints the spread of 02's softmax seeds in a checked cell, so 02 must have
# recorded all three before 04 gets there (about 35 minutes into the chain): 02 (about
# 19 minutes) must start at once on the other worker. `--dist loadgroup` hands out the
# largest groups first, so 02 shares a group with 06 (02's cells first, by collection
# order), which makes it larger than the chain; when 06 alone was larger than 02 and grew to
# 13 minutes, 02 started too late and 04 printed two softmax seeds instead of three. Every
# other notebook is a group of its own. If 03 reaches its comparison first,
# el.training.recipes.ensure_recorded trains the same seed-42 softmax run it would have read.
# Under xdist each worker's PyTorch (and each kernel it starts) uses one thread, so that two
# workers share two cores without oversubscribing them.
NOTEBOOK_GROUPS = {"03_": "chain", "04_": "chain", "02_": "02-then-06", "06_": "02-then-06"}


def notebook_group(path: Path) -> str:
    """The xdist group of a notebook: a shared name above, else the notebook's own name."""
    if path.parent.name == "notebooks":
        for prefix, group in NOTEBOOK_GROUPS.items():
            if path.name.startswith(prefix):
                return group
    return path.stem


if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["OMP_NUM_THREADS"] = "1"
    os.environ["MKL_NUM_THREADS"] = "1"
    # UMAP's numba threads would otherwise stay busy after a map and slow every later
    # one-thread PyTorch step about eightfold (measured: 40 steps 77 s instead of 12 s).
    os.environ["NUMBA_NUM_THREADS"] = "1"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        path = Path(str(item.fspath))
        if path.suffix != ".ipynb":
            continue
        item.add_marker(pytest.mark.xdist_group(notebook_group(path)))
