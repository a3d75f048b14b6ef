"""Make the reference ledger: every seed of every recipe the notebooks compare, run once.

The notebooks train the first seed of a recipe live and read the other seeds from
``embedlab/reference/<profile>.jsonl`` (:mod:`embedlab.training.reference`). This command
makes that file from the notebooks themselves, so the reference holds exactly what their
cells train: it runs notebooks 02-07 headless, each in a fresh kernel, with
``EMBEDLAB_ALL_SEEDS=1`` (every seed live) in one fresh runs folder, then copies the ledger's
records into the reference, each stamped with the machine, the PyTorch threads, the library
versions and the commit it was made at.

    python benchmarks/make_reference.py                   # run 02-07, write the reference
    python benchmarks/make_reference.py --notebooks 04    # re-run 04; other notebooks' records stay
    python benchmarks/make_reference.py --from-runs DIR   # only write it, from such a run's folder

A notebook's checked cell compares its live seed with the reference (``check_live``); when a
recipe's settings change, that cell fails until this command is run again.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_benchmark import machine  # noqa: E402  (same folder)
from run_notebooks import NOTEBOOKS, run_notebook  # noqa: E402

from embedlab.training.ledger import read_ledger  # noqa: E402
from embedlab.training.ledger_schema import record_problems  # noqa: E402
from embedlab.training.reference import ALL_SEEDS_ENV, SHIPPED_DIR  # noqa: E402
from embedlab.training.seeds import SEEDS  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
# the notebooks that train seeds: their cells ask live_seeds which seeds to train here
TRAINING_NOTEBOOKS = tuple(
    path.name[:2]
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if "live_seeds(" in path.read_text(encoding="utf-8")
)
LIBRARIES = ("torch", "sentence-transformers", "transformers", "datasets", "embedlab")


def versions() -> dict[str, str]:
    """The versions of the libraries a score depends on."""
    return {name: importlib.metadata.version(name) for name in LIBRARIES}


def commit() -> str:
    """The commit the notebooks were run at (``+changes`` when the tree differed from it)."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True).stdout

    head = git("rev-parse", "--short", "HEAD").strip() or "unknown"
    return head + (
        "+changes" if git("status", "--porcelain", "--", "embedlab", "notebooks") else ""
    )


def run_all_seeds(
    prefixes: list[str], runs: Path, timeout: int, executed: Path | None = None
) -> None:
    """Run the notebooks with every seed live, recording into ``runs``; keep the executed
    notebooks in ``executed`` when given."""
    os.environ[ALL_SEEDS_ENV] = "1"  # the kernels inherit it
    os.environ["EMBEDLAB_RUNS_DIR"] = str(runs)
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        if path.name[:2] in prefixes:
            print(f"{path.stem} (every seed live) ...", flush=True)
            row = run_notebook(path, timeout, save_as=executed / path.name if executed else None)
            print(f"  {row['seconds']:g} s", flush=True)


def reference_records(
    runs: Path, profile: str, stamp: dict[str, Any], notebooks: list[str]
) -> list[dict[str, Any]]:
    """The newest record of each (notebook, recipe, seed) of ``profile`` in ``runs``, from
    the given notebooks, stamped and without machine paths."""
    newest: dict[tuple[str, str, int], dict[str, Any]] = {}
    for record in read_ledger(path=runs / "results.jsonl"):
        if record.get("profile") != profile or record.get("seed") not in SEEDS:
            continue
        if record["notebook"][:2] not in notebooks:
            continue
        newest[(record["notebook"], record["recipe"], record["seed"])] = {
            **record,
            "model_path": "",  # a folder of the run that made it, not of the reader
            "made_with": stamp,
        }
    return [newest[key] for key in sorted(newest)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--notebooks",
        nargs="*",
        default=list(TRAINING_NOTEBOOKS),
        help="number prefixes (default: every notebook that trains seeds); other notebooks' records are kept",
    )
    parser.add_argument("--profile", default="quick", choices=["quick", "full"])
    parser.add_argument(
        "--from-runs",
        type=Path,
        help="a runs folder such a run left: write the reference from its ledger",
    )
    parser.add_argument(
        "--threads",
        type=int,
        help="PyTorch threads the notebooks ran with (default: this process's)",
    )
    parser.add_argument(
        "--commit", help="with --from-runs: the commit that run was made at (default: this one)"
    )
    parser.add_argument("--out", type=Path, help="default embedlab/reference/<profile>.jsonl")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per cell at most")
    parser.add_argument(
        "--executed", type=Path, help="keep the executed notebooks (every seed live) in this folder"
    )
    args = parser.parse_args(argv)
    os.environ["EMBEDLAB_PROFILE"] = args.profile
    runs = args.from_runs
    if runs is None:
        runs = Path(tempfile.mkdtemp(prefix="embedlab-reference-runs-"))
        if args.executed:
            args.executed.mkdir(parents=True, exist_ok=True)
        run_all_seeds(args.notebooks, runs, args.timeout, args.executed)
    import torch

    stamp = {
        **machine(),
        "torch_threads": args.threads or torch.get_num_threads(),
        "versions": versions(),
        "commit": args.commit or commit(),
    }
    made = reference_records(runs, args.profile, stamp, args.notebooks)
    if not made:
        print(f"no {args.profile} records of notebooks {args.notebooks} in {runs}", file=sys.stderr)
        return 1
    for record in made:
        problems = record_problems(record)
        if problems:
            raise SystemExit(f"record {record['recipe']} seed {record['seed']}: {problems}")
    out = args.out or SHIPPED_DIR / f"{args.profile}.jsonl"
    kept = (
        [r for r in read_ledger(path=out) if r["notebook"][:2] not in args.notebooks]
        if out.exists()
        else []
    )
    records = sorted(kept + made, key=lambda r: (r["notebook"], r["recipe"], r["seed"]))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in records))
    print(f"{len(records)} records ({len(made)} new) -> {out}")
    for record in made:
        trained = record["trained"].get("spearman_cosine")
        shown = f"{trained:.4f}" if isinstance(trained, float) else "-"
        if "accuracy" in record:  # a cross-encoder: its held-back classification
            shown = (
                f"accuracy {record['accuracy']:.4f} (majority {record['majority_baseline']:.4f})"
            )
        print(f"  {record['notebook'][:2]} {record['recipe']:<24} seed {record['seed']}: {shown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
