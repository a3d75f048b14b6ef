"""The suite's training recipes as data, and one call that runs any of them.

Notebooks build each recipe step by step once, for teaching, and mark the cells that write its
loss, arguments and trainer ``#@save`` (:mod:`embedlab.recipes`). A :class:`Recipe` here names
that trainer function with the model, data and settings the notebook gives it, so that a later
notebook, the command line (``embedlab-train``) or the benchmark re-creates a result through
the notebook's own code, inside :class:`~embedlab.training.run.recorded_run`. The book's recipes come first; the suite adds a few *beyond the book* that aim to beat
its scores with what the library offers today (mined hard negatives, larger batches through
the cached MNR loss, GISTEmbed with a guide model).

>>> result = run_book_recipe("softmax", profile)
>>> record = ensure_recorded("softmax", profile)        # the ledger's record, trained if missing
>>> RECIPES["cached-mnr"].settings(FULL).batch_size      # 128
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from datasets import Dataset
from sentence_transformers import SentenceTransformer, SentenceTransformerTrainer
from sentence_transformers.sentence_transformer import losses
from torch import nn

from ..data import cosine_pairs, load_training_nli, mnr_triplets, nli_pairs
from ..errors import InputError
from ..evaluation import stsb_evaluator
from ..methods.negatives import mined_negatives
from ..models import load_base_model, load_pretrained_model
from ..profiles import PROFILES, Profile
from ..recipes.cosine import cosine_trainer
from ..recipes.finetune import finetune_settings
from ..recipes.mnr import mnr_trainer
from ..recipes.softmax import LOSS_COMPARISON, softmax_trainer
from ..settings import profile_scale
from .distributed import init_distributed, local_device, main_process_first, world_size
from .ledger import latest_run
from .reference import reference_records
from .run import RunResult, recorded_run

__all__ = [
    "Recipe",
    "RECIPES",
    "BOOK_RECIPES",
    "get_recipe",
    "run_book_recipe",
    "ensure_recorded",
]

BEYOND_THE_BOOK = "beyond-the-book"  # the notebook name of recipes no notebook teaches


def _softmax_pairs(mnli: Dataset, profile: Profile) -> Dataset:
    return nli_pairs(mnli)


def _cosine_pairs(mnli: Dataset, profile: Profile) -> Dataset:
    return cosine_pairs(mnli)


def _soft_triplets(mnli: Dataset, profile: Profile) -> Dataset:
    return mnr_triplets(mnli, seed=profile.seed)


def _mined_triplets(mnli: Dataset, profile: Profile) -> Dataset:
    """Entailment pairs with a semi-hard negative that all-MiniLM-L6-v2 ranks close."""
    pairs = mnr_triplets(mnli, seed=profile.seed).select_columns(["anchor", "positive"])
    judge = load_pretrained_model(profile.pretrained_model, max_seq_length=profile.max_seq_length)
    return mined_negatives(pairs, judge)


def _in_batch(loss_class: type[nn.Module]) -> Callable[[SentenceTransformer], nn.Module]:
    """``loss_class(model)``; under a launcher it also takes the other processes' batches as
    negatives (``gather_across_devices``)."""

    def build(model: SentenceTransformer) -> nn.Module:
        return loss_class(model, gather_across_devices=world_size() > 1)

    build.__name__ = loss_class.__name__
    return build


def _gist(model: SentenceTransformer) -> nn.Module:
    """GISTEmbed: MNR whose guide, all-MiniLM-L6-v2, vetoes in-batch negatives it finds too
    close to the anchor (likely false negatives)."""
    guide = load_pretrained_model(max_seq_length=model.max_seq_length, device=str(model.device))
    return losses.GISTEmbedLoss(model, guide, gather_across_devices=world_size() > 1)


# notebook 04's trainer with MNR (the book's), cached MNR (larger batches) or GISTEmbed
_MNR = functools.partial(mnr_trainer, loss=_in_batch(losses.MultipleNegativesRankingLoss))
_CACHED_MNR = functools.partial(
    mnr_trainer, loss=_in_batch(losses.CachedMultipleNegativesRankingLoss)
)
_GIST = functools.partial(mnr_trainer, loss=_gist)


@dataclass(frozen=True)
class Recipe:
    """One recipe of the suite: the model it starts from, its data, its loss, its settings."""

    name: str  # the ledger's name, e.g. "mnr-soft"
    notebook: str  # the notebook that teaches it; "beyond-the-book" for the suite's additions
    # the notebook's #@save function: (model, train_dataset, profile, evaluator, output_dir=)
    # -> a SentenceTransformerTrainer with its loss and arguments
    trainer: Callable[..., SentenceTransformerTrainer]
    loss: str  # the loss it trains with, as the command line lists it
    build: Callable[[Dataset, Profile], Dataset]  # MNLI train rows -> training set for the loss
    start: str = "base"  # "base": profile.base_model; "pretrained": profile.pretrained_model
    batch_size: int | None = None  # None: the profile's (book: 32)
    finetune: bool = False  # True: notebook 05's finetune_settings (rate, epochs, warm-up)
    quick_rows: int | None = None  # at most this many training examples in the quick profile
    beyond_book: bool = False  # True: not in the book; an attempt to beat its scores
    baseline: str | None = None  # beyond the book: the book's recipe it changes one thing of
    # settings this recipe changes at one scale ("quick" or "full"), e.g. its own training rows
    scale_changes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def settings(self, profile: Profile) -> Profile:
        """The profile this recipe trains under.

        First the recipe's own changes at the profile's scale (:attr:`scale_changes`), each
        only where ``profile`` still has its stock value (a setting you changed stays yours, and
        a profile this returned comes back unchanged); a larger batch keeps the warm-up the
        same number of pairs (fewer, larger steps).
        """
        stock = PROFILES.get(profile.name)
        changes = {
            key: value
            for key, value in self.scale_changes.get(profile_scale(profile), {}).items()
            if stock is None or getattr(profile, key) == getattr(stock, key)
        }
        if changes:
            profile = profile.with_changes(**changes)
        if self.finetune:
            profile = finetune_settings(profile)
        if self.batch_size and self.batch_size != profile.batch_size:
            warmup = round(profile.warmup_steps * profile.batch_size / self.batch_size)
            profile = profile.with_changes(batch_size=self.batch_size, warmup_steps=warmup)
        return profile

    def model_name(self, profile: Profile) -> str:
        """The model this recipe starts from under ``profile`` (``"standin"`` = embedlab's)."""
        return profile.base_model if self.start == "base" else profile.pretrained_model

    def load_model(self, profile: Profile) -> SentenceTransformer:
        """The untrained starting model (the quick base replaces bert-base when offline)."""
        if self.start == "base":
            return load_base_model(profile)
        return load_pretrained_model(
            profile.pretrained_model, max_seq_length=profile.max_seq_length
        )

    def training_set(self, profile: Profile, mnli: Dataset | None = None) -> Dataset:
        """The training set under ``profile``, from ``mnli`` or the first ``n_train`` rows of
        the profile's ``train_splits``."""
        settings = self.settings(profile)
        if mnli is None:
            mnli = load_training_nli(settings.train_splits, n_rows=settings.n_train)
        dataset = self.build(mnli, settings)
        if profile_scale(profile) == "quick" and self.quick_rows and len(dataset) > self.quick_rows:
            dataset = dataset.select(range(self.quick_rows))
        return dataset


def _beyond_mnr_soft(
    name: str,
    trainer: Callable[..., SentenceTransformerTrainer],
    loss: str,
    build: Callable[[Dataset, Profile], Dataset],
    **settings: Any,
) -> Recipe:
    """A recipe beyond the book that changes one thing of the book's mnr-soft."""
    return Recipe(
        name,
        BEYOND_THE_BOOK,
        trainer,
        loss,
        build,
        beyond_book=True,
        baseline="mnr-soft",
        **settings,
    )


# LOSS_COMPARISON (notebook 02): the loss comparison of 02 and 03 in the quick profile, half the
# rows at twice the rates
_SUITE = [
    # the book's recipes, from bert-base-uncased (quick: embedlab's masked-LM base)
    Recipe(
        "softmax",
        "02_softmax_loss",
        softmax_trainer,
        "SoftmaxLoss",
        _softmax_pairs,
        scale_changes=LOSS_COMPARISON,
    ),
    Recipe(
        "cosine",
        "03_cosine_similarity_loss",
        cosine_trainer,
        "CosineSimilarityLoss",
        _cosine_pairs,
        scale_changes=LOSS_COMPARISON,
    ),
    Recipe(
        "cosent",
        "03_cosine_similarity_loss",
        functools.partial(cosine_trainer, loss=losses.CoSENTLoss),
        "CoSENTLoss",
        _cosine_pairs,
        scale_changes=LOSS_COMPARISON,
    ),
    Recipe("mnr-soft", "04_mnr_loss_and_hard_negatives", _MNR, "MNR", _soft_triplets),
    # the book's fine-tuning of all-MiniLM-L6-v2 (notebook 05: 640 triplets in the quick profile)
    Recipe(
        "finetune-mnr",
        "05_finetuning_pretrained",
        _MNR,
        "MNR",
        _soft_triplets,
        start="pretrained",
        finetune=True,
        quick_rows=640,
    ),
    # beyond the book: each changes one thing of mnr-soft
    _beyond_mnr_soft("mnr-mined", _MNR, "MNR", _mined_triplets),  # semi-hard mined negatives
    # 4x the batch, in mini-batches of 32
    _beyond_mnr_soft("cached-mnr", _CACHED_MNR, "CachedMNR", _soft_triplets, batch_size=128),
    _beyond_mnr_soft("gist", _GIST, "GISTEmbed", _soft_triplets),  # a guide vetoes false negatives
]
RECIPES: dict[str, Recipe] = {recipe.name: recipe for recipe in _SUITE}
BOOK_RECIPES: dict[str, Recipe] = {n: r for n, r in RECIPES.items() if not r.beyond_book}


def get_recipe(name: str) -> Recipe:
    """The recipe called ``name``; an :class:`InputError` lists the known ones."""
    if name not in RECIPES:
        raise InputError(f"unknown recipe {name!r}; choose one of {sorted(RECIPES)}")
    return RECIPES[name]


def run_book_recipe(
    recipe: str,
    profile: Profile,
    *,
    max_steps: int | None = None,
    batch_size: int | None = None,
    evaluator=None,
    extra: Mapping[str, Any] | None = None,
) -> RunResult:
    """Train ``recipe`` (any of :data:`RECIPES`) under ``profile`` with its notebook's trainer
    function, inside :class:`~embedlab.training.run.recorded_run`; return the run's result.

    ``max_steps`` stops early, ``batch_size`` replaces the recipe's, ``evaluator`` replaces
    STS-B validation (e.g. its first rows), ``extra`` adds ledger keys. Under a launcher
    (``torchrun``) every process trains its share and the main process records.
    """
    chosen = get_recipe(recipe)
    settings = chosen.settings(profile)
    if batch_size is not None:
        settings = settings.with_changes(batch_size=batch_size)
    init_distributed()
    with main_process_first():  # under a launcher: the main process fills the caches first
        model = chosen.load_model(settings)
        train_dataset = chosen.training_set(profile)
    if world_size() > 1:
        model.to(local_device())  # before the loss is built (GISTEmbed's guide follows it)
    with tempfile.TemporaryDirectory(prefix="embedlab-trainer-") as scratch:
        trainer = chosen.trainer(
            model, train_dataset, settings, evaluator or stsb_evaluator(), output_dir=scratch
        )
        if max_steps is not None:
            trainer.args.max_steps = max_steps
        # several processes: drop the last, uneven round of batches, which would stall the rest
        trainer.args.dataloader_drop_last = world_size() > 1
        extra = {"beyond_book": chosen.beyond_book, **(extra or {})}
        with recorded_run(
            trainer, notebook=chosen.notebook, recipe=chosen.name, profile=settings, extra=extra
        ) as run:
            trainer.train()
    return run.result


def ensure_recorded(recipe: str, profile: Profile) -> dict[str, Any]:
    """The newest ledger record of ``recipe`` in ``profile``; else, for a stock profile, the
    reference ledger's record of its seed; else train it first."""
    record = latest_run(recipe, profile=profile.name)
    stock = PROFILES.get(profile.name)
    chosen = get_recipe(recipe)
    if record is None and stock is not None and chosen.settings(stock) == chosen.settings(profile):
        record = reference_records(recipe, profile.name).get(profile.seed)
    if record is None:
        record = run_book_recipe(recipe, profile).record
    return record
