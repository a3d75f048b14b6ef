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
