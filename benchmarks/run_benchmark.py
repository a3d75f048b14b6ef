"""Benchmark the suite's recipes: time, throughput, memory and STS-B scores beside the book's.

Not a test. Each recipe runs in a fresh process through the command line
(``python -m embedlab_tools.train``, the same package code as the notebooks), so that memory and
time of one recipe do not leak into the next. A bare PyTorch loop (same model, batch, maximum
length and MNR loss; forward, loss, backward and optimiser step only, on pre-tokenised
batches) measures what the hardware can do, so that the training stack's overhead is a ratio.

    python benchmarks/run_benchmark.py --profile quick                   # every recipe
    python benchmarks/run_benchmark.py --profile full --recipes mnr-soft gist
    python benchmarks/run_benchmark.py --profile quick --recipes mnr-soft --rows 600 --max-steps 10
    python benchmarks/run_benchmark.py --overhead-only --overhead-repeats 3   # trainer vs bare

Writes ``benchmark-<profile>.csv`` (the table), ``.md`` (table, machine, load, overhead)
and ``.json`` (all of it) to ``--results`` (default ``benchmarks/results/``);
``--overhead-only`` writes ``overhead-<profile>.md`` and ``.json`` instead.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
from torch.nn import functional as F  # noqa: N812

import embedlab as el
from embedlab.recipes.mnr import mnr_trainer
from embedlab.training.ledger import BOOK_SCORES, read_ledger
from embedlab.training.recipes import RECIPES

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
    """Train ``recipe`` in a fresh ``python -m embedlab_tools.train``; return its record and wall time."""
    command = [
        sys.executable,
        "-m",
        "embedlab_tools.train",
        "--recipe",
        recipe,
        "--profile",
        profile,
    ]
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


def book_score(recipe: str) -> str:
    """The book's STS-B Spearman for ``recipe``; for a recipe beyond the book, its baseline's."""
    chosen = RECIPES.get(recipe)
    if recipe in BOOK_SCORES:
        return str(BOOK_SCORES[recipe]["spearman_cosine"])
    if chosen is not None and chosen.baseline in BOOK_SCORES:
        return f"{BOOK_SCORES[chosen.baseline]['spearman_cosine']} ({chosen.baseline})"
    return ""


def table_row(record: dict[str, Any], wall: float) -> dict[str, Any]:
    """One line of the table from a ledger record."""
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
        "book_spearman": book_score(record["recipe"]),
    }


def _to(features: dict[str, Any], device: torch.device) -> dict[str, Any]:
    return {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in features.items()}


def _clocks() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _rates(steps: int, size: int, wall0: float, cpu0: float) -> dict[str, float]:
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "pairs_per_s": round(steps * size / wall, 1),
        "pairs_per_cpu_s": round(steps * size / cpu, 1),
    }


def bare_loop(profile: el.profiles.Profile, triplets, *, steps: int) -> dict[str, float]:
    """MNR training of the profile's base model in plain PyTorch.

    The same work as the trainer's step: anchors in one forward pass, positives and negatives
    together in another (as sentence-transformers does), cosine similarities times 20,
    cross-entropy, backward, fused AdamW step, in the trainer's precision (bf16 or fp16 with
    a gradient scaler on a GPU). Batches are tokenised before the clock starts.
    """
    torch.manual_seed(profile.seed)
    model = el.load_base_model(profile)
    rows = list(zip(triplets["anchor"], triplets["positive"], triplets["negative"]))
    random.Random(profile.seed).shuffle(rows)
    size = profile.batch_size
    batches = []
    for i in range(0, steps * size, size):
        anchors, positives, negatives = zip(*rows[i : i + size])
        features = model.preprocess(list(anchors)), model.preprocess([*positives, *negatives])
        batches.append(tuple(_to(f, model.device) for f in features))
    optimizer = torch.optim.AdamW(model.parameters(), lr=profile.learning_rate, fused=True)
    model.train()
    labels = torch.arange(size, device=model.device)
    mixed = el.profiles.precision()
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(mixed)
    scaler = torch.amp.GradScaler(model.device.type, enabled=mixed == "fp16")
    wall0, cpu0 = _clocks()
    for anchors, candidates in batches:
        with torch.autocast(model.device.type, dtype=dtype, enabled=dtype is not None):
            a = model(anchors)["sentence_embedding"]
            c = model(candidates)["sentence_embedding"]
            scores = 20.0 * F.normalize(a, dim=-1) @ F.normalize(c, dim=-1).T
            loss = F.cross_entropy(scores, labels)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)
    return _rates(steps, size, wall0, cpu0)


def trainer_loop(profile: el.profiles.Profile, triplets, *, steps: int) -> dict[str, float]:
    """The same training through notebook 04's trainer (its #@save ``mnr_trainer``).

    Only ``trainer.train()`` is timed (tokenisation on the fly, sampler, logging, gradient
    clipping, learning-rate schedule included); no evaluation, as in the recipe's first steps.
    """
    model = el.load_base_model(profile)
    with tempfile.TemporaryDirectory() as scratch:
        unused = el.evaluation.stsb_evaluator(rows=range(8))  # the recipe wants an evaluator
        trainer = mnr_trainer(model, triplets, profile, unused, output_dir=scratch)
        trainer.args.max_steps = steps
        trainer.args.eval_strategy = "no"  # training alone, as the bare loop
        wall0, cpu0 = _clocks()
        trainer.train()
        return _rates(trainer.state.global_step, profile.batch_size, wall0, cpu0)


def overhead(
    profile: el.profiles.Profile, *, steps: int, n_rows: int | None, repeats: int = 2
) -> dict[str, Any]:
    """Trainer against bare loop, alternated ``repeats`` times in this process; best of each."""
    nli = el.data.load_training_nli(profile.train_splits, n_rows=n_rows or profile.n_train)
    triplets = el.data.mnr_triplets(nli)
    steps = min(steps, len(triplets) // profile.batch_size)  # full batches, one epoch at most
    runs: dict[str, list[dict[str, float]]] = {"bare": [], "trainer": []}
    for _ in range(repeats):
        runs["bare"].append(bare_loop(profile, triplets, steps=steps))
        runs["trainer"].append(trainer_loop(profile, triplets, steps=steps))
        print("overhead:", json.dumps({k: v[-1] for k, v in runs.items()}), flush=True)
    best = {k: max(v, key=lambda r: r["pairs_per_s"]) for k, v in runs.items()}
    best_cpu = {k: max(r["pairs_per_cpu_s"] for r in v) for k, v in runs.items()}
    return {
        "steps": steps,
        "batch": profile.batch_size,
        "repeats": repeats,
        "bare": best["bare"],
        "trainer": best["trainer"],
        "ratio_wall": round(best["trainer"]["pairs_per_s"] / best["bare"]["pairs_per_s"], 2),
        "ratio_cpu": round(best_cpu["trainer"] / best_cpu["bare"], 2),
        # each trainer run against the bare run just before it: less moved by one lucky run
        "ratios_paired": [
            round(t["pairs_per_s"] / b["pairs_per_s"], 3)
            for b, t in zip(runs["bare"], runs["trainer"], strict=True)
        ],
        "ratio_wall_median": round(
            statistics.median(
                t["pairs_per_s"] / b["pairs_per_s"]
                for b, t in zip(runs["bare"], runs["trainer"], strict=True)
            ),
            2,
        ),
    }


def markdown(rows: list[dict[str, Any]], info: dict[str, Any]) -> str:
    """The table and its machine, as Markdown."""
    header = "| " + " | ".join(COLUMNS) + " |\n|" + "---|" * len(COLUMNS) + "\n"
    body = "".join("| " + " | ".join(str(r[c]) for c in COLUMNS) + " |\n" for r in rows)
    m = info["machine"]
    lines = [
        f"Profile **{info['profile']}**, measured {info['date']} on {m['cpu']} "
        f"({m['cores']} cores, torch {m['torch']} with {m['torch_threads']} thread(s) per run, "
        f"GPU: {m['gpu']}).",
        f"Load average (1/5/15 min) at start {info['load_start']}, at end {info['load_end']}: "
        "the machine is shared, so a load above the core count means other work slowed these runs.",
        "",
        header + body,
    ]
    cost = info.get("overhead")
    if cost:
        lines.append(
            f"Training-stack overhead, MNR on the {info['profile']} profile's base model, batch "
            f"{cost['batch']}, {cost['steps']} steps, best of {cost['repeats']} alternated runs: "
            f"bare PyTorch loop (forward, loss, backward, optimiser step on pre-tokenised "
            f"batches) {cost['bare']['pairs_per_s']} pairs/s, SentenceTransformerTrainer with "
            f"embedlab's arguments {cost['trainer']['pairs_per_s']} pairs/s. "
            f"Trainer / bare: **{cost['ratio_wall']:.2f}** in wall time, "
            f"**{cost['ratio_cpu']:.2f}** in CPU time (CPU time is less disturbed by other work)."
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
    parser.add_argument("--overhead-steps", type=int, default=60, help="steps of each loop")
    parser.add_argument("--overhead-repeats", type=int, default=2, help="alternated runs of each")
    parser.add_argument(
        "--overhead-only",
        action="store_true",
        help="only trainer against bare loop; writes overhead-<profile>.json and .md",
    )
    parser.add_argument(
        "--threads",
        type=int,
        help="torch threads per run (default: torch's choice); on a shared machine 1 avoids "
        "threads waiting for each other while other work holds the cores",
    )
    return parser.parse_args(argv)


def write_overhead(args: argparse.Namespace, info: dict[str, Any]) -> int:
    """Trainer against bare loop alone: ``overhead-<profile>.json`` and ``.md``."""
    profile = el.profiles.get_profile(args.profile)
    info["overhead"] = cost = overhead(
        profile, steps=args.overhead_steps, n_rows=args.rows, repeats=args.overhead_repeats
    )
    info["load_end"] = load_average()
    m = info["machine"]
    threads = f"{m['torch_threads']} torch thread(s)"
    rows = [
        f"# Trainer against a bare PyTorch loop, {args.profile} profile",
        "",
        f"Measured {info['date']} on {m['cpu']}, {m['cores']} cores, {threads}, GPU: {m['gpu']}, "
        f"torch {m['torch']}; load average {info['load_start']} at start, "
        f"{info['load_end']} at end.",
        f"MNR on the profile's base model, batch {cost['batch']}, {cost['steps']} steps; "
        f"best of {cost['repeats']} alternated runs of each.",
        "",
        "| loop | wall s | CPU s | pairs/s | pairs per CPU s |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in ("bare", "trainer"):
        r = cost[name]
        rows.append(
            f"| {name} | {r['wall_s']} | {r['cpu_s']} | {r['pairs_per_s']} | {r['pairs_per_cpu_s']} |"
        )
    rows += [
        "",
        f"Trainer / bare, best run of each: **{cost['ratio_wall']}** in wall time, "
        f"**{cost['ratio_cpu']}** in CPU time. Each trainer run against the bare run just "
        f"before it: {', '.join(f'{r:.2f}' for r in cost['ratios_paired'])} "
        f"(median **{cost['ratio_wall_median']}**).",
        "",
    ]
    args.results.mkdir(parents=True, exist_ok=True)
    stem = args.results / f"overhead-{args.profile}"
    stem.with_suffix(".md").write_text("\n".join(rows))
    stem.with_suffix(".json").write_text(json.dumps(info, indent=1) + "\n")
    print("\n".join(rows))
    return 0


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
    if args.overhead_only:
        return write_overhead(args, info)
    rows = []
    with tempfile.TemporaryDirectory(prefix="embedlab-benchmark-") as scratch:
        runs = args.runs or Path(scratch)
        for recipe in args.recipes:
            record, wall = train_in_process(recipe, args.profile, runs, cli_args)
            rows.append(table_row(record, wall))
            print(json.dumps(rows[-1]), flush=True)
    if not args.no_bare:
        profile = el.profiles.get_profile(args.profile)
        info["overhead"] = overhead(
            profile, steps=args.overhead_steps, n_rows=args.rows, repeats=args.overhead_repeats
        )
    info["load_end"] = load_average()
    args.results.mkdir(parents=True, exist_ok=True)
    stem = args.results / f"benchmark-{args.profile}"
    with open(stem.with_suffix(".csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    text = markdown(rows, info)
    stem.with_suffix(".md").write_text(text)
    stem.with_suffix(".json").write_text(json.dumps({**info, "rows": rows}, indent=1) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
