"""Shared fixtures: offline data from ../shared/data, a private runs folder, no network."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def offline_environment(tmp_path, monkeypatch):
    """Every test runs offline, on the shared data, with its own runs folder."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    if "EMBEDLAB_DATA_DIR" not in os.environ:
        monkeypatch.setenv("EMBEDLAB_DATA_DIR", str(SHARED_DATA))
    monkeypatch.setenv("EMBEDLAB_RUNS_DIR", str(tmp_path / "runs"))
    from embedlab.sources import hub_reachable

    hub_reachable.cache_clear()
    yield
    hub_reachable.cache_clear()


@pytest.fixture(scope="session")
def standin():
    """The quick profile's stand-in base model (built once per session)."""
    import embedlab as el

    return el.load_base_model(el.QUICK)


# --- parallel runs (pytest -n 2, pytest-xdist) -------------------------------------------
# Each notebook runs in one kernel, so all its cells must go to the same worker, in order.
# Notebooks 03 and 04 form one chain (04 reads the seeds 03 wrote to the ledger). Every other
# notebook is a group of its own; 02 runs on the other worker meanwhile (xdist hands out the
# largest groups first) and has recorded its softmax seeds long before 04 reads them; if 03
# gets there first, el.ensure_recorded trains the same seed-42 run it would have read. Under xdist each worker's PyTorch (and each kernel it
# starts) uses one thread, so that two workers share two cores without oversubscribing them.
CHAIN = ("03_", "04_")

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
        in_chain = path.parent.name == "notebooks" and path.name.startswith(CHAIN)
        item.add_marker(pytest.mark.xdist_group("chain" if in_chain else path.stem))
