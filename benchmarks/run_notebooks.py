"""Benchmark the notebooks: each run top to bottom, headless, alone, in a fresh kernel.

Not a test. For each notebook: wall time, its slowest cells, the kernel's peak memory
(resident set of the kernel and its children, sampled every 0.2 s), the PyTorch threads, and
the load average at start and end (another job on the machine makes times incomparable).
The stored notebooks are not changed (each is executed in memory and thrown away) unless
``--write`` asks to store the executed notebook, outputs and all: one run then both measures
the notebooks and refreshes what a reader sees before running them. Each notebook gets a
fresh runs folder of its own (``EMBEDLAB_RUNS_DIR``), as in the tests: no notebook reads what
another trained (``--runs DIR`` shares one folder instead, as a learner's run in order does).

    python benchmarks/run_notebooks.py                       # every notebook, quick profile
    python benchmarks/run_notebooks.py --notebooks 00 01     # some; the others' rows are kept
    python benchmarks/run_notebooks.py --notebooks 02 --write  # and store 02's new outputs

Writes ``notebooks-<profile>.json`` (all of it) and ``notebooks-<profile>.md`` (the table) to
``--results`` (default ``benchmarks/results/``), and the seconds per notebook to
``embedlab/reference/run-times-<profile>.json``, the copy inside the package from which
``el.start`` and ``embedlab-doctor`` announce each notebook's run time.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import nbformat
import psutil
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_benchmark import load_average, machine  # noqa: E402  (same folder)

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
RESULTS = REPO / "benchmarks" / "results"
# The run times that el.start and embedlab-doctor announce: a copy inside the package, so that
# an installed embedlab (Colab) has them and the package reads nothing from benchmarks/.
RUN_TIMES = REPO / "embedlab" / "reference"


def write_run_times(table: dict[str, Any], profile: str, folder: Path = RUN_TIMES) -> Path:
    """Write the seconds per notebook and the machine of ``table`` for the package to read."""
    path = folder / f"run-times-{profile}.json"
    times = {name: row["seconds"] for name, row in sorted(table["notebooks"].items())}
    path.write_text(json.dumps({"machine": table["machine"], "seconds": times}, indent=1) + "\n")
    return path


class KernelMemory:
    """Peak resident memory of this process's children (the kernel and what it starts)."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval, self.peak_mb = interval, 0.0
        self.cell: int | None = None  # the cell running now (set by the client's hook)
        self.peak_cell: int | None = None  # the cell that was running at the peak
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for child in me.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:  # ended between listing and reading
                    pass
            if total / 2**20 > self.peak_mb:
                self.peak_mb, self.peak_cell = total / 2**20, self.cell
            self._stop.wait(self.interval)

    def __enter__(self) -> KernelMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _cell_seconds(cell: nbformat.NotebookNode) -> float | None:
    timing = cell.get("metadata", {}).get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return None
    parse = datetime.datetime.fromisoformat
    return (parse(end.replace("Z", "+00:00")) - parse(start.replace("Z", "+00:00"))).total_seconds()


def run_notebook(
    path: Path, timeout: int, write: bool = False, save_as: Path | None = None
) -> dict[str, Any]:
    """Execute ``path`` in a fresh kernel (working folder: notebooks/); its measurements.

    ``write``: store the executed notebook in ``path`` (without the per-cell timing metadata);
    ``save_as``: store it there instead (to read its outputs, leaving ``path`` as it was).
    """
    nb = nbformat.read(path, as_version=4)
    memory = KernelMemory()
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        record_timing=True,
        resources={"metadata": {"path": str(path.parent)}},
        on_cell_start=lambda cell, cell_index: setattr(memory, "cell", cell_index),
    )
    load_start = load_average()
    with memory:
        started = time.perf_counter()
        client.execute()
        wall = time.perf_counter() - started
    cells = [
        (index, seconds, cell.source.splitlines()[0][:70] if cell.source else "")
        for index, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (seconds := _cell_seconds(cell)) is not None
    ]
    slowest = sorted(cells, key=lambda c: -c[1])[:3]
    if write or save_as:
        for cell in nb.cells:
            cell.metadata.pop("execution", None)
        nbformat.write(nb, save_as or path)
    return {
        "seconds": round(wall, 1),
        "slowest_cells": [[i, round(s, 1), first] for i, s, first in slowest],
        # every cell of a second or more, in notebook order: where a notebook's time goes
        "cell_seconds": {str(i): round(s, 1) for i, s, _ in cells if s >= 1.0},
        "peak_memory_mb": round(memory.peak_mb),
        "peak_memory_cell": memory.peak_cell,  # the cell running when memory peaked
        "threads": os.environ.get("OMP_NUM_THREADS", f"default ({os.cpu_count()} cores)"),
        "load_start": load_start,
        "load_end": load_average(),
        "measured": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }


def refresh_start_output(path: Path, timeout: int) -> None:
    """Run a stored notebook's cells up to its ``el.start(...)`` cell again in a fresh kernel
    and store their new outputs: ``el.start`` announces the run time from the table this
    script has just written, so the stored announcement matches the table."""
    nb = nbformat.read(path, as_version=4)
    last = next(
        (i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "el.start(" in c.source),
        None,
    )
    if last is None:
        return
    head = nbformat.v4.new_notebook(metadata=nb.metadata, cells=nb.cells[: last + 1])
    NotebookClient(
        head,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    for cell in head.cells:
        cell.metadata.pop("execution", None)
    nb.cells[: last + 1] = head.cells
    nbformat.write(nb, path)


def markdown(table: dict[str, Any]) -> str:
    """The table as Markdown, with the machine it was measured on."""
    rows = [
        "| notebook | seconds | peak memory | threads | load at start / end | slowest cells (index: s) |",
        "|---|---:|---:|---|---|---|",
    ]
    for name, row in sorted(table["notebooks"].items()):
        slow = ", ".join(f"{i}: {s:g}" for i, s, _ in row["slowest_cells"])
        rows.append(
            f"| {name} | {row['seconds']:g} | {row['peak_memory_mb'] / 1024:.1f} GB | "
            f"{row['threads']} | {row['load_start']} → {row['load_end']} | {slow} |"
        )
    total = sum(row["seconds"] for row in table["notebooks"].values())
    described = ", ".join(f"{key} {value}" for key, value in table["machine"].items())
    return "\n".join(
        [
            f"# Notebook benchmark, {table['profile']} profile",
            "",
            f"Machine: {described}",
            "",
        ]
        + rows
        + ["", f"All notebooks: {total:,.0f} s ({total / 60:.1f} min).", ""]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notebooks", nargs="*", help="number prefixes, e.g. 00 04 (default all)")
    parser.add_argument("--profile", default="quick", choices=["quick", "full"])
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per cell at most")
    parser.add_argument("--write", action="store_true", help="store the executed notebooks")
    parser.add_argument("--runs", type=Path, help="one runs folder for all (default: one each)")
    args = parser.parse_args(argv)
    os.environ["EMBEDLAB_PROFILE"] = args.profile  # the kernels inherit it
    if args.runs:
        os.environ["EMBEDLAB_RUNS_DIR"] = str(args.runs)
    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if args.notebooks:
        paths = [p for p in paths if p.name[:2] in args.notebooks]
    args.results.mkdir(parents=True, exist_ok=True)
    out = args.results / f"notebooks-{args.profile}.json"
    table = json.loads(out.read_text()) if out.is_file() else {"notebooks": {}}
    table |= {"profile": args.profile, "machine": machine()}
    for path in paths:
        print(f"{path.stem} ...", flush=True)
        if not args.runs:
            os.environ["EMBEDLAB_RUNS_DIR"] = tempfile.mkdtemp(prefix=f"embedlab-runs-{path.stem}-")
        table["notebooks"][path.stem] = row = run_notebook(path, args.timeout, args.write)
        print(f"  {row['seconds']:g} s, peak {row['peak_memory_mb']} MB, load {row['load_end']}")
        out.write_text(json.dumps(table, indent=1) + "\n")  # after each: a long run keeps its rows
        out.with_suffix(".md").write_text(markdown(table))
        if args.results.resolve() == RESULTS:  # the project's own table: the package's copy too
            write_run_times(table, args.profile)
    if args.write:  # the start cells announce the times of the table written just now
        for path in paths:
            refresh_start_output(path, args.timeout)
    print(markdown(table))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
