"""Train any recipe of the suite from the command line, on one device or data-parallel.

The same package code as the notebooks (:func:`embedlab.training.recipes.run_book_recipe`): it scores
the untrained model on STS-B, trains, scores again, saves the model and appends a ledger
record. Under ``torchrun`` or ``accelerate launch`` it runs unchanged on several processes;
only the main process saves and records.

    python -m embedlab_tools.train --recipe mnr-soft --profile quick
    embedlab-train --recipe mnr-soft --profile full --output runs/      # the console script
    torchrun --nproc_per_node 4 -m embedlab_tools.train --recipe mnr-soft --profile full
    embedlab-train --list                                              # the suite's recipes
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any

from embedlab.errors import EmbedlabError
from embedlab.evaluation import stsb_evaluator
from embedlab.profiles import PROFILES, get_profile
from embedlab.settings import check_overrides
from embedlab.sources import RUNS_DIR_ENV
from embedlab.training.distributed import (
    finish_distributed,
    init_distributed,
    is_main_process,
    world_size,
)
from embedlab.training.ledger import ledger_path
from embedlab.training.recipes import RECIPES, run_book_recipe

__all__ = ["main", "parse_args"]

log = logging.getLogger(__name__)


def _whole(what: str, example: int) -> Callable[[str], int]:
    """An argparse type: a whole number >= 1 of ``what`` (its range is checked later, by the
    profile's own checks, :func:`embedlab.settings.check_setting`)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a whole number of {what}, e.g. {example}, got {text!r}"
            ) from None
        if value < 1:
            raise argparse.ArgumentTypeError(
                f"expected a whole number of {what} >= 1, e.g. {example}, got {text}"
            )
        return value

    return parse


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line's options (``--help`` lists them)."""
    parser = argparse.ArgumentParser(
        prog="embedlab-train",
        description="Train one recipe of the embedlab suite and record it in the ledger.",
    )
    parser.add_argument("--recipe", choices=sorted(RECIPES), help="the recipe to train")
    parser.add_argument(
        "--profile", choices=sorted(PROFILES), help="default: $EMBEDLAB_PROFILE, else by hardware"
    )
    parser.add_argument(
        "--max-steps", type=_whole("steps", 100), help="stop after this many optimiser steps"
    )
    parser.add_argument(
        "--rows", type=_whole("rows", 1000), help="MNLI train rows (default: the profile's)"
    )
    parser.add_argument(
        "--batch-size", type=_whole("pairs", 32), help="pairs per step on each process"
    )
    parser.add_argument(
        "--eval-steps", type=_whole("steps", 250), help="evaluate every N steps while training"
    )
    parser.add_argument(
        "--eval-rows",
        type=_whole("rows", 200),
        help="score on the first N STS-B validation pairs (default: all)",
    )
    parser.add_argument(
        "--output",
        help=f"folder for the model and the ledger (default: ${RUNS_DIR_ENV}, else runs/)",
    )
    parser.add_argument("--list", action="store_true", help="list the recipes and exit")
    args = parser.parse_args(argv)
    if not args.list and not args.recipe:
        parser.error("--recipe is required (see --list)")
    return args


def _list_recipes() -> None:
    for recipe in RECIPES.values():
        origin = "beyond the book" if recipe.beyond_book else recipe.notebook
        print(f"{recipe.name:<14} loss {recipe.loss:<11} from {recipe.start:<11} {origin}")


def _train(args: argparse.Namespace) -> dict[str, Any]:
    profile = get_profile(args.profile)
    changes = {"n_train": args.rows, "eval_steps": args.eval_steps}
    profile = profile.with_changes(**{k: v for k, v in changes.items() if v is not None})
    # the profile's bounds, before any model or data is loaded
    overrides: dict[str, Any] = check_overrides(
        {"max_steps": args.max_steps, "batch_size": args.batch_size}
    )
    if args.eval_rows:
        overrides["evaluator"] = stsb_evaluator(rows=list(range(args.eval_rows)))
    return run_book_recipe(args.recipe, profile, **overrides).record


def _stop(signum: int, frame: object) -> None:
    """SIGTERM: stop as Ctrl+C would, so that ``finally`` blocks remove the trainer's
    scratch folder and a half-saved model; a second SIGTERM ends the process at once."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.write(
        2, b"embedlab-train: stopped by SIGTERM; a run not yet in the ledger is not recorded\n"
    )
    raise SystemExit(128 + signum)


def _on_sigterm(handler: Callable | int) -> Callable | int | None:
    """Install ``handler`` for SIGTERM (main thread only); return the one it replaces."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 on success, 2 on bad input; a
    SIGTERM exits with 143 after cleaning up)."""
    args = parse_args(argv)
    if args.list:
        _list_recipes()
        return 0
    previous = _on_sigterm(_stop)
    try:
        return _main(args)
    finally:
        _on_sigterm(signal.SIG_DFL if previous is None else previous)


def _main(args: argparse.Namespace) -> int:
    if args.output:
        os.environ[RUNS_DIR_ENV] = str(args.output)  # where runs_dir() and the ledger look
    init_distributed()
    logging.basicConfig(
        level=logging.INFO if is_main_process() else logging.WARNING,
        format=f"[rank {os.environ.get('RANK', '0')}] %(name)s: %(message)s",
    )
    try:
        record = _train(args)
    except EmbedlabError as error:
        print(f"embedlab-train: error: {error}", file=sys.stderr)
        return 2
    if is_main_process():
        before, after = record["untrained"], record["trained"]
        print(
            f"{record['recipe']} ({record['profile']} profile, {world_size()} process(es)): "
            f"STS-B Spearman {before['spearman_cosine']:.3f} -> {after['spearman_cosine']:.3f}, "
            f"Pearson {after['pearson_cosine']:.3f}; {record['steps']} steps in "
            f"{record['seconds']:.1f} s\nmodel: {record['model_path']}\nledger: {ledger_path()}"
        )
    finish_distributed()
    return 0


if __name__ == "__main__":
    sys.exit(main())
