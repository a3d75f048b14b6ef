"""Benchmark the suite's recipes: time, throughput, memory and STS-B scores beside the book's.

Not a test. Each recipe runs in a fresh process through the command line
(``python -m embedlab.train``, the same package code as the notebooks), so that memory and
time of one recipe do not leak into the next. A bare PyTorch loop (same model, batch, maximum
length and MNR loss; forward, loss, backward and optimiser step only, on pre-tokenised
batches) measures what the hardware can do, so that the training stack's overhead is a ratio.

    python benchmarks/run_benchmark.py --profile quick                   # every recipe
    python benchmarks/run_benchmark.py --profile full --recipes mnr-soft gist
    python benchmarks/run_benchmark.py --profile quick --recipes mnr-soft --rows 600 --max-steps 10

Writes ``benchmark-<profile>.csv`` and ``benchmark-<profile>.md`` (table, machine, load) to
``--results`` (default ``benchmarks/results/``).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
from torch.nn import functional as F  # noqa: N812

import embedlab as el
from embedlab.ledger import BOOK_SCORES, read_ledger
from embedlab.recipes import RECIPES

HERE = Path(__file__).resolve().parent
COLUMNS = [
    "recipe",
    "beyond_book",
    "base_model",
    "train_rows",
    "steps",
    "batch",
    "train_s",
    "total_s",
    "pairs_per_s",
    "peak_mb",
    "spearman",
    "pearson",
    "book_spearman",
]


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if line.startswith("model name")]  # fmt: skip
        cpu = names[0] if names else cpu
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "gpu": gpu,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "os": platform.platform(terse=True),
    }


def load_average() -> str:
    """The 1, 5 and 15 minute load averages (other users' work included)."""
    return " / ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"


def train_in_process(
    recipe: str, profile: str, runs: Path, cli_args: list[str]
) -> tuple[dict[str, Any], float]:
    """Train ``recipe`` in a fresh ``python -m embedlab.train``; return its record and wall time."""
    command = [sys.executable, "-m", "embedlab.train", "--recipe", recipe, "--profile", profile]
    command += ["--output", str(runs), *cli_args]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{recipe} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    record = [r for r in read_ledger(path=runs / "results.jsonl") if r["recipe"] == recipe][-1]
    return record, wall


def pairs_seen(record: dict[str, Any]) -> int:
    """Training examples the run went through (a partial last batch counts as what it held)."""
    per_step = record["batch_size"] * record.get("world_size", 1)
    return min(record["steps"] * per_step, record["n_train"] * record["epochs"])


def table_row(record: dict[str, Any], wall: float) -> dict[str, Any]:
    """One line of the table from a ledger record."""
    book = BOOK_SCORES.get(record["recipe"], {}).get("spearman_cosine")
    return {
        "recipe": record["recipe"],
        "beyond_book": "yes" if record.get("beyond_book") else "",
        "base_model": record["base_model"],
        "train_rows": record["n_train"],
        "steps": record["steps"],
        "batch": record["batch_size"],
        "train_s": round(record["seconds"], 1),
        "total_s": round(wall, 1),
        "pairs_per_s": round(pairs_seen(record) / max(record["seconds"], 1e-9), 1),
        "peak_mb": round(record["peak_memory_mb"]),
        "spearman": record["trained"]["spearman_cosine"],
        "pearson": record["trained"]["pearson_cosine"],
        "book_spearman": "" if book is None else book,
    }


def _to(features: dict[str, Any], device: torch.device) -> dict[str, Any]:
    return {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in features.items()}


def bare_loop(profile: el.Profile, *, steps: int, n_rows: int | None = None) -> dict[str, float]:
    """MNR training of the profile's base model in plain PyTorch; pairs (triplets) a second.

    The same work as the trainer's step: anchors in one forward pass, positives and negatives
    together in another (as sentence-transformers does), cosine similarities times 20,
    cross-entropy, backward, fused AdamW step. Batches are tokenised before the clock starts.
    """
    torch.manual_seed(profile.seed)
    model = el.load_base_model(profile)
    triplets = el.mnr_triplets(el.load_nli("mnli", "train", n_rows=n_rows or profile.n_train))
    rows = list(zip(triplets["anchor"], triplets["positive"], triplets["negative"]))
    random.Random(profile.seed).shuffle(rows)
    size = profile.batch_size
    batches = []
    while len(batches) < steps:
        for i in range(0, len(rows) - size + 1, size):
            anchors, positives, negatives = zip(*rows[i : i + size])
            batches.append(
                (model.preprocess(list(anchors)), model.preprocess([*positives, *negatives]))
            )
    batches = [tuple(_to(f, model.device) for f in b) for b in batches[:steps]]
    optimizer = torch.optim.AdamW(model.parameters(), lr=profile.learning_rate, fused=True)
    model.train()
    labels = torch.arange(size, device=model.device)
    start = time.perf_counter()
    for anchors, candidates in batches:
        a = model(anchors)["sentence_embedding"]
        c = model(candidates)["sentence_embedding"]
        scores = 20.0 * F.normalize(a, dim=-1) @ F.normalize(c, dim=-1).T
        loss = F.cross_entropy(scores, labels)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    seconds = time.perf_counter() - start
    return {
        "steps": steps,
        "seconds": round(seconds, 2),
        "pairs_per_s": round(steps * size / seconds, 1),
    }


def markdown(rows: list[dict[str, Any]], info: dict[str, Any]) -> str:
    """The table and its machine, as Markdown."""
    header = "| " + " | ".join(COLUMNS) + " |\n|" + "---|" * len(COLUMNS) + "\n"
    body = "".join("| " + " | ".join(str(r[c]) for c in COLUMNS) + " |\n" for r in rows)
    m = info["machine"]
    lines = [
        f"Profile **{info['profile']}**, measured {info['date']} on {m['cpu']} "
        f"({m['cores']} cores, torch {m['torch']} with {m['torch_threads']} threads, GPU: {m['gpu']}).",
        f"Load average (1/5/15 min) at start {info['load_start']}, at end {info['load_end']}: "
        "the machine is shared, so a load above the core count means other work slowed these runs.",
        "",
        header + body,
    ]
    bare = info.get("bare")
    if bare:
        lines.append(
            f"Bare PyTorch loop (same model, batch, maximum length, MNR loss; forward, loss, "
            f"backward, optimiser step on pre-tokenised batches): {bare['pairs_per_s']} pairs/s "
            f"over {bare['steps']} steps. Trainer ({bare['recipe']}) / bare loop: "
            f"**{bare['ratio']:.2f}**."
        )
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", choices=sorted(el.profiles.PROFILES), default="quick")
    parser.add_argument("--recipes", nargs="+", choices=sorted(RECIPES), default=list(RECIPES))
    parser.add_argument("--results", type=Path, default=HERE / "results", help="output folder")
    parser.add_argument(
        "--runs", type=Path, help="keep models and ledger here (default: temporary)"
    )
    parser.add_argument("--rows", type=int, help="MNLI rows (default: the profile's)")
    parser.add_argument("--max-steps", type=int, help="cut every run short (smoke test)")
    parser.add_argument("--no-bare", action="store_true", help="skip the bare PyTorch loop")
    parser.add_argument(
        "--threads",
        type=int,
        help="torch threads per run (default: torch's choice); on a shared machine 1 avoids "
        "threads waiting for each other while other work holds the cores",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.threads:
        os.environ["OMP_NUM_THREADS"] = str(args.threads)  # the training processes read it
        torch.set_num_threads(args.threads)  # the bare loop runs here
    cli_args = []
    if args.rows:
        cli_args += ["--rows", str(args.rows)]
    if args.max_steps:
        cli_args += ["--max-steps", str(args.max_steps)]
    info: dict[str, Any] = {
        "profile": args.profile,
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine(),
        "load_start": load_average(),
    }
    print(json.dumps(info["machine"]), f"load {info['load_start']}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="embedlab-benchmark-") as scratch:
        runs = args.runs or Path(scratch)
        for recipe in args.recipes:
            record, wall = train_in_process(recipe, args.profile, runs, cli_args)
            rows.append(table_row(record, wall))
            print(json.dumps(rows[-1]), flush=True)
            if recipe == "mnr-soft" and not args.no_bare:
                profile = el.get_profile(args.profile)
                bare = bare_loop(profile, steps=record["steps"], n_rows=args.rows)
                trainer = rows[-1]["pairs_per_s"]
                info["bare"] = {**bare, "recipe": recipe, "ratio": trainer / bare["pairs_per_s"]}
                print("bare loop:", json.dumps(info["bare"]), flush=True)
    info["load_end"] = load_average()
    args.results.mkdir(parents=True, exist_ok=True)
    stem = args.results / f"benchmark-{args.profile}"
    with open(stem.with_suffix(".csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    text = markdown(rows, info)
    stem.with_suffix(".md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
