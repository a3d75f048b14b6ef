"""The chapter's training recipes as plain functions, one call each.

Notebooks build each recipe step by step once, for teaching; these functions do the same
through the same package code, so that a later notebook (or the benchmark) can re-create a
missing result without copying cells.

>>> result = run_book_recipe("softmax", profile)
>>> record = ensure_recorded("softmax", profile)        # the ledger's record, trained if missing
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from datasets import Dataset

from .data import cosine_pairs, load_nli, mnr_triplets, nli_pairs
from .errors import InputError
from .ledger import latest_run
from .models import load_base_model
from .profiles import Profile
from .training import RunResult, run_recipe

__all__ = ["BOOK_RECIPES", "run_book_recipe", "ensure_recorded"]

# recipe name -> (notebook that teaches it, loss name, training-set builder)
BOOK_RECIPES: dict[str, tuple[str, str, Callable[[Dataset], Dataset]]] = {
    "softmax": ("02_softmax_loss", "softmax", nli_pairs),
    "cosine": ("03_cosine_similarity_loss", "cosine", cosine_pairs),
    "cosent": ("03_cosine_similarity_loss", "cosent", cosine_pairs),
    "mnr-soft": ("04_mnr_loss_and_hard_negatives", "mnr", mnr_triplets),
}


def run_book_recipe(recipe: str, profile: Profile, **overrides: Any) -> RunResult:
    """Train ``recipe`` from the profile's base model on ``profile.n_train`` MNLI rows."""
    if recipe not in BOOK_RECIPES:
        raise InputError(f"unknown recipe {recipe!r}; choose one of {sorted(BOOK_RECIPES)}")
    notebook, loss, build = BOOK_RECIPES[recipe]
    train_dataset = build(load_nli("mnli", "train", n_rows=profile.n_train))
    return run_recipe(
        notebook=notebook,
        recipe=recipe,
        model=load_base_model(profile),
        loss=loss,
        train_dataset=train_dataset,
        profile=profile,
        **overrides,
    )


def ensure_recorded(recipe: str, profile: Profile) -> dict[str, Any]:
    """The newest ledger record of ``recipe`` in ``profile``; train it first if there is none."""
    record = latest_run(recipe, profile=profile.name)
    if record is None:
        record = run_book_recipe(recipe, profile).record
    return record
