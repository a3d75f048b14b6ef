"""The full profile's training cells on a GPU: speed per step, projected run time, peak memory.

Not a test. Speed and memory do not need trained weights, so a randomly initialised model of
bert-base's shape (12 layers, 768 wide, bert-base's uncased vocabulary) stands in for
bert-base-uncased, offline. Every cell of the full profile that trains runs a fixed number
of steps through the notebooks' own code path (embedlab's training arguments for the full
profile: bf16 or fp16, its batch size and maximum length) on real NLI sentences. For each
cell: seconds per step (median after the first steps), the time projected for the cell's
whole run beside the book's Colab T4 time where the book stored one, and peak GPU memory
against a T4's 15 GB (the most the caching allocator held: what must fit).

    python benchmarks/gpu_full_profile.py                          # every cell, 30 steps
    python benchmarks/gpu_full_profile.py --cells softmax mnr --steps 20
    python benchmarks/gpu_full_profile.py --shape tiny --steps 3 --allow-cpu   # smoke test

Writes ``gpu-<shape>.json`` and ``gpu-<shape>.md`` to ``--results``
(default ``benchmarks/results/``).
"""

from __future__ import annotations

import argparse
import datetime
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import torch
from datasets import Dataset
from sentence_transformers import SentenceTransformer, SentenceTransformerTrainer
from sentence_transformers.cross_encoder import (
    CrossEncoder,
    CrossEncoderTrainer,
    CrossEncoderTrainingArguments,
)
from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss
from sentence_transformers.sentence_transformer.losses import (
    CachedMultipleNegativesRankingLoss,
    MultipleNegativesRankingLoss,
)
from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
from transformers import BertConfig, BertModel, TrainerCallback

import embedlab as el
from embedlab.methods import tsdae
from embedlab.models import pretrained_model_path, quick_base_path
from embedlab.profiles import FULL
from embedlab.recipes.cosine import cosine_trainer
from embedlab.recipes.finetune import finetune_settings
from embedlab.recipes.mnr import mnr_trainer
from embedlab.recipes.softmax import softmax_trainer
from embedlab.recipes.tsdae import TSDAESettings, tsdae_trainer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_benchmark import load_average, machine  # noqa: E402  (same folder)

HERE = Path(__file__).resolve().parent
T4_MEMORY_GB = 15.0  # a Colab T4's usable memory
BOOK_T4_SECONDS = {"softmax": 372, "cosine": 364, "mnr": 181, "finetune": 117}  # book's outputs
SHAPES = {  # hidden, layers, heads, intermediate
    "bert-base": (768, 12, 12, 3072),
    "tiny": (64, 2, 2, 128),  # for a smoke test on a CPU
}


class StepClock(TrainerCallback):
    """Wall time of every optimiser step (GPU work finished before each reading)."""

    def __init__(self) -> None:
        self.ends: list[float] = []

    def on_step_begin(self, args, state, control, **kwargs):
        if not self.ends:
            self._sync()
            self.ends.append(time.perf_counter())

    def on_step_end(self, args, state, control, **kwargs):
        self._sync()
        self.ends.append(time.perf_counter())

    @staticmethod
    def _sync() -> None:
        if torch.cuda.is_available():
            torch.cuda.synchronize()

    def seconds_per_step(self, skip: int) -> float:
        """Median step time, leaving out the first ``skip`` steps (warm-up, allocation)."""
        steps = [b - a for a, b in zip(self.ends, self.ends[1:], strict=False)]
        kept = steps[skip:] or steps
        return statistics.median(kept)


def random_bert(shape: str, folder: Path) -> Path:
    """A randomly initialised BERT of ``shape`` with bert-base's uncased vocabulary."""
    hidden, layers, heads, intermediate = SHAPES[shape]
    config = BertConfig(
        vocab_size=30522,
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=intermediate,
        max_position_embeddings=512,
    )
    torch.manual_seed(0)
    BertModel(config).save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(quick_base_path() / name, folder / name)
    return folder


def sentence_model(path: str, max_seq_length: int, pooling: str = "mean") -> SentenceTransformer:
    encoder = Transformer(
        path, max_seq_length=max_seq_length, model_kwargs={"dtype": torch.float32}
    )
    pool = Pooling(encoder.get_embedding_dimension(), pooling_mode=pooling)
    return SentenceTransformer(modules=[encoder, pool], device=el.profiles.device_name())


@dataclass
class Cell:
    """One training cell of the full profile: what it trains and how long its whole run is."""

    name: str
    notebook: str
    batch_size: int
    run_rows: int  # rows of the cell's whole run (its steps = run_rows / batch_size)
    # batch -> (model, data, the notebook's #@save trainer function)
    build: Callable[[int], tuple[Any, Dataset, Callable[..., SentenceTransformerTrainer]]]


def measure_sentence_cell(cell: Cell, steps: int, skip: int) -> dict[str, Any]:
    model, data, recipe = cell.build(cell.batch_size)
    profile = finetune_settings(FULL) if cell.name == "finetune" else FULL
    profile = profile.with_changes(batch_size=cell.batch_size)
    unused = el.evaluation.stsb_evaluator(rows=list(range(8)))  # the recipes want an evaluator
    clock = StepClock()
    with tempfile.TemporaryDirectory(prefix="embedlab-gpu-") as scratch:
        trainer = recipe(model, data, profile, unused, output_dir=scratch)
        trainer.args.max_steps = steps
        trainer.args.eval_strategy = "no"  # the steps alone
        trainer.add_callback(clock)
        trainer.train()
    return {"seconds_per_step": clock.seconds_per_step(skip), "steps": len(clock.ends) - 1}


def measure_cross_encoder(path: str, data: Dataset, batch_size: int, steps: int, skip: int):
    model = CrossEncoder(path, num_labels=1, max_length=128, device=el.profiles.device_name())
    mixed = el.profiles.precision()
    clock = StepClock()
    with tempfile.TemporaryDirectory(prefix="embedlab-gpu-") as scratch:
        args = CrossEncoderTrainingArguments(
            output_dir=scratch,
            max_steps=steps,
            per_device_train_batch_size=batch_size,
            learning_rate=2e-5,
            fp16=mixed == "fp16",
            bf16=mixed == "bf16",
            save_strategy="no",
            report_to="none",
            seed=FULL.seed,
            disable_tqdm=True,
            dataloader_pin_memory=torch.cuda.is_available(),
        )
        model.model_card_data.widget = [{"text": "placeholder"}]
        trainer = CrossEncoderTrainer(
            model=model,
            args=args,
            train_dataset=data,
            loss=BinaryCrossEntropyLoss(model),
            callbacks=[clock],
        )
        trainer.train()
    return {"seconds_per_step": clock.seconds_per_step(skip), "steps": len(clock.ends) - 1}


def cells(base: str, nli: Dataset) -> dict[str, Cell]:
    """Every cell of the full profile that trains, keyed by name."""
    max_len = FULL.max_seq_length
    pairs, scored = el.data.nli_pairs(nli), el.data.cosine_pairs(nli)
    triplets = el.data.mnr_triplets(nli)
    book_triplets = round(FULL.n_train * len(triplets) / len(nli))  # entailment rows of 50,000
    sentences = tsdae.unlabelled_sentences(nli)
    settings = TSDAESettings.of(FULL)

    def base_model(_batch: int) -> SentenceTransformer:
        return sentence_model(base, max_len)

    def tsdae_build(_batch: int):
        model = sentence_model(base, max_len, pooling=settings.pooling)
        return model, tsdae.denoising_pairs(sentences), tsdae_trainer

    def finetune_build(_batch: int):
        model = sentence_model(str(pretrained_model_path()), max_len)
        return model, triplets, mnr_trainer

    table = {
        "softmax": Cell(
            "softmax", "02", 32, FULL.n_train, lambda b: (base_model(b), pairs, softmax_trainer)
        ),
        "cosine": Cell(
            "cosine", "03", 32, FULL.n_train, lambda b: (base_model(b), scored, cosine_trainer)
        ),
        "mnr": Cell(
            "mnr", "04", 32, book_triplets, lambda b: (base_model(b), triplets, mnr_trainer)
        ),
    }
    for size in (16, 32, 64, 128, 256):  # notebook 04's batch sweep over the same triplets
        # on a GPU, batches above 64 bert-base triplets outgrow a T4's 15 GB as plain MNR:
        # CachedMNR computes the same loss in mini-batches of 32
        big = size > 64 and torch.cuda.is_available()
        loss = CachedMultipleNegativesRankingLoss if big else MultipleNegativesRankingLoss
        table[f"sweep-{size}"] = Cell(
            f"sweep-{size}",
            "04",
            size,
            book_triplets,
            lambda b, loss=loss: (base_model(b), triplets, partial(mnr_trainer, loss=loss)),
        )
    table["finetune"] = Cell("finetune", "05", 32, book_triplets, finetune_build)
    table["tsdae"] = Cell("tsdae", "07", settings.batch_size, settings.n_sentences, tsdae_build)
    table["cross-encoder"] = Cell("cross-encoder", "06", 16, 10_000, lambda b: (None, None, None))
    return table


def row(cell: Cell, measured: dict[str, Any], peak_gb: float | None) -> dict[str, Any]:
    run_steps = -(-cell.run_rows // cell.batch_size)
    projected = measured["seconds_per_step"] * run_steps
    book = BOOK_T4_SECONDS.get(cell.name)
    return {
        "cell": cell.name,
        "notebook": cell.notebook,
        "batch": cell.batch_size,
        "seconds_per_step": round(measured["seconds_per_step"], 4),
        "measured_steps": measured["steps"],
        "run_steps": run_steps,
        "projected_s": round(projected, 1),
        "book_t4_s": book,
        "peak_gb": None if peak_gb is None else round(peak_gb, 2),
        "fits_t4": None if peak_gb is None else peak_gb <= T4_MEMORY_GB,
    }


def markdown(info: dict[str, Any]) -> str:
    m = info["machine"]
    lines = [
        f"# The full profile's training cells, {info['shape']}-shaped model (random weights)",
        "",
        f"Measured {info['measured']} on {m.get('gpu')} ({m.get('cpu')}), torch {m.get('torch')}, "
        f"precision {info['precision']}, {info['steps']} steps per cell "
        f"(median step after the first {info['skip']}); load {info['load_start']}.",
        "",
        "| cell | notebook | batch | s/step | steps of the run | projected s | book T4 s | "
        "peak GB | fits a T4 (15 GB) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in info["rows"]:
        fits = "" if r["fits_t4"] is None else ("yes" if r["fits_t4"] else "**no**")
        lines.append(
            f"| {r['cell']} | {r['notebook']} | {r['batch']} | {r['seconds_per_step']} | "
            f"{r['run_steps']:,} | {r['projected_s']:,} | {r['book_t4_s'] or ''} | "
            f"{'' if r['peak_gb'] is None else r['peak_gb']} | {fits} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shape", choices=sorted(SHAPES), default="bert-base")
    parser.add_argument("--cells", nargs="*", help="cell names (default: all)")
    parser.add_argument("--steps", type=int, default=30, help="steps per cell")
    parser.add_argument("--skip", type=int, default=5, help="first steps left out of the median")
    parser.add_argument("--rows", type=int, default=4000, help="NLI rows to draw batches from")
    parser.add_argument("--allow-cpu", action="store_true", help="run without a GPU (smoke test)")
    parser.add_argument("--results", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)
    if el.profiles.device_name() != "cuda" and not args.allow_cpu:
        parser.error("no CUDA GPU here; this benchmark is for a GPU (--allow-cpu for a smoke test)")
    nli = el.data.load_training_nli(("mnli/train", "snli/train"), n_rows=args.rows)
    info: dict[str, Any] = {
        "shape": args.shape,
        "measured": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "precision": el.profiles.precision(),
        "steps": args.steps,
        "skip": min(args.skip, args.steps - 1),
        "load_start": load_average(),
        "rows": [],
    }
    with tempfile.TemporaryDirectory(prefix="embedlab-random-bert-") as folder:
        base = str(random_bert(args.shape, Path(folder)))
        table = cells(base, nli)
        chosen = args.cells or list(table)
        unknown = sorted(set(chosen) - set(table))
        if unknown:
            parser.error(f"unknown cell(s) {unknown}; choose from {list(table)}")
        for name in chosen:
            cell = table[name]
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
                torch.cuda.reset_peak_memory_stats()
            if name == "cross-encoder":
                gold = el.data.cosine_pairs(nli)
                measured = measure_cross_encoder(
                    base, gold, cell.batch_size, args.steps, info["skip"]
                )
            else:
                measured = measure_sentence_cell(cell, args.steps, info["skip"])
            peak = torch.cuda.max_memory_reserved() / 2**30 if torch.cuda.is_available() else None
            info["rows"].append(row(cell, measured, peak))
            print(json.dumps(info["rows"][-1]), flush=True)
            el.free_memory()
    args.results.mkdir(parents=True, exist_ok=True)
    stem = args.results / f"gpu-{args.shape}"
    stem.with_suffix(".json").write_text(json.dumps(info, indent=1) + "\n")
    stem.with_suffix(".md").write_text(markdown(info))
    print(markdown(info))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
