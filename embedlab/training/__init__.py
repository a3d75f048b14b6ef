"""Training runs and their records: a recorded run, the book's recipes, the ledger, seeds."""

from __future__ import annotations

from . import distributed, ledger, ledger_schema, progress, recipes, reference, run, seeds
from .ledger import (
    BOOK_SCORES,
    check_runs_dir,
    latest_run,
    ledger_table,
    read_ledger,
    record_run,
)
from .recipes import RECIPES, ensure_recorded, run_book_recipe
from .reference import check_live
from .run import (
    PeakMemory,
    RunResult,
    free_memory,
    record_cross_encoder,
    record_evaluation,
    recorded_run,
)
from .seeds import SEEDS, live_seeds, seed_spread, spread, verdict

__all__ = [
    "distributed",
    "ledger",
    "ledger_schema",
    "progress",
    "recipes",
    "reference",
    "run",
    "seeds",
    "BOOK_SCORES",
    "check_runs_dir",
    "latest_run",
    "ledger_table",
    "read_ledger",
    "record_run",
    "RECIPES",
    "ensure_recorded",
    "run_book_recipe",
    "PeakMemory",
    "RunResult",
    "free_memory",
    "record_cross_encoder",
    "record_evaluation",
    "recorded_run",
    "SEEDS",
    "check_live",
    "live_seeds",
    "seed_spread",
    "spread",
    "verdict",
]
