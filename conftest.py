"""Hooks for every pytest run from the repository, whichever lane it starts: the notebook
cells (nbval) stay together on one worker, each notebook's kernel gets a runs folder of its
own, and each worker's PyTorch uses one thread. Unit-test fixtures are in tests/conftest.py."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# --- parallel runs (pytest -n 2, pytest-xdist) ---------------------------------------------
# Each notebook runs in one kernel, so all its cells go to the same worker, in order; the
# notebooks themselves are independent (each reads the seeds and recipes it does not train
# from the reference ledger, embedlab/reference/), so any order and any worker will do, and
# each notebook's kernel starts with a runs folder of its own.
# Under xdist each worker's PyTorch (and each kernel it starts) uses one thread, so that two
# workers share two cores without oversubscribing them.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["OMP_NUM_THREADS"] = "1"
    os.environ["MKL_NUM_THREADS"] = "1"
    # UMAP's numba threads would otherwise stay busy after a map and slow every later
    # one-thread PyTorch step about eightfold (measured: 40 steps 77 s instead of 12 s).
    os.environ["NUMBA_NUM_THREADS"] = "1"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Notebook cells: marked ``notebook`` (``-m notebook`` or ``-m "not notebook"`` picks a
    lane) and kept together on one worker.

    The slowest notebooks go first and the many short unit tests last, so that two workers
    finish at about the same time (a long notebook started last would run alone at the end).
    Each notebook's cells keep their order."""
    from embedlab.classroom.doctor import measured_times  # the benchmarked seconds el.start shows

    seconds, _ = measured_times("quick")
    for item in items:
        path = Path(str(item.fspath))
        if path.suffix != ".ipynb":
            continue
        item.add_marker(pytest.mark.notebook)
        item.add_marker(pytest.mark.xdist_group(path.stem))

    def slowest_first(indexed: tuple[int, pytest.Item]) -> tuple[float, int]:
        index, item = indexed
        path = Path(str(item.fspath))
        if path.suffix != ".ipynb":
            return (0.0, index)  # unit tests after every notebook, in their own order
        return (-seconds.get(path.stem, 1.0), index)  # an unmeasured notebook before the tests

    items[:] = [item for _, item in sorted(enumerate(items), key=slowest_first)]


_STARTED_NOTEBOOKS: set[Path] = set()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before a notebook's first cell starts its kernel: a fresh runs folder of its own."""
    path = Path(str(item.fspath))
    if path.suffix == ".ipynb" and path not in _STARTED_NOTEBOOKS:
        _STARTED_NOTEBOOKS.add(path)
        os.environ["EMBEDLAB_RUNS_DIR"] = tempfile.mkdtemp(prefix=f"embedlab-runs-{path.stem}-")


# --- where the time went ---------------------------------------------------------------------
# CI's limit is on the whole run, and the notebook lane is most of it; the summary names the
# seconds of each notebook (its cells together) and of the unit tests, summed over workers.
_SECONDS: dict[str, float] = {}


def pytest_runtest_logreport(report):
    """Add a test's setup, call and teardown seconds to its notebook's total or the units'."""
    path = Path(report.nodeid.split("::")[0])
    lane = path.stem if path.suffix == ".ipynb" else "unit tests"
    _SECONDS[lane] = _SECONDS.get(lane, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter):
    """Seconds per notebook and for the unit tests, and the total of worker time."""
    if not _SECONDS:
        return
    terminalreporter.section("seconds per lane (all workers added up)")
    for lane, seconds in sorted(_SECONDS.items(), key=lambda item: -item[1]):
        terminalreporter.write_line(f"{seconds:8.1f} s  {lane}")
    terminalreporter.write_line(f"{sum(_SECONDS.values()):8.1f} s  in all")
