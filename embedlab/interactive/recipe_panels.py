"""The knob panels of notebooks 02-05: the chapter's loss recipes and fine-tuning.

Left at its defaults, a panel trains its notebook's own recipe: the first ``n_train`` rows of
``profile.train_splits`` (:func:`embedlab.data.load_training_nli`) shaped for the loss, at the
recipe's epochs, batch size, learning rate and warm-up (02-03: the loss comparison's rows and
rates, ``get_recipe("softmax").settings(profile)``; 04: the profile's; 05: the
``finetune-mnr`` recipe's settings and rows). Every knob reads its default from the profile
through its recipe, so a change to a profile changes the panels with it. Each panel maps
held-out MNLI validation pairs (u, v, |u-v|) before and after training, coloured by NLI label. Runs are recorded in the
ledger as ``panel-...`` recipes, so they never replace a notebook's own runs.

| panel      | notebook | knobs                                                            |
|------------|----------|------------------------------------------------------------------|
| `softmax`  | 02       | training pairs, epochs, batch size, learning rate                |
| `cosine`   | 03       | loss (cosine, cosent, angle), pairs, epochs, batch, learning rate |
| `mnr`      | 04       | loss (mnr, cached-mnr, cosine, softmax), negatives, pairs, epochs, batch, learning rate |
| `finetune` | 05       | negatives (none, soft, hard), pairs, epochs, batch, learning rate |
"""

from __future__ import annotations

import functools
from typing import Any

from datasets import Dataset
from sentence_transformers.sentence_transformer import losses

from ..data import (
    NLI_LABELS,
    cosine_pairs,
    load_nli,
    load_training_nli,
    mnr_triplets,
    nli_pairs,
    split_by_premise,
)
from ..errors import InputError
from ..evaluation import pair_features
from ..methods.negatives import contradiction_triplets, mined_negatives
from ..models import load_base_model, load_pretrained_model
from ..profiles import Profile
from ..recipes.cosine import cosine_trainer
from ..recipes.mnr import mnr_trainer
from ..recipes.softmax import softmax_trainer
from ..settings import profile_scale
from ..sources import data_dir
from ..training.recipes import get_recipe
from .knobs import KNOBS, MapSet, RecipeSpec, TrainingPlan, warmup_for

__all__ = [
    "nli_training_set",
    "nli_pair_map",
    "panel_profile",
    "soft_triplet_count",
    "finetune_rows",
    "SEMI_HARD_MIN_PAIRS",
    "PANELS",
]

MNR_LOSSES = ("mnr", "cached-mnr")
SEMI_HARD_MIN_PAIRS = 200  # mining skips each anchor's 10 nearest, so it needs a corpus
HELD_OUT_PREMISES = 500  # as notebook 04: premises kept out of the hard-negative triplets
# each panel loss trains through its notebook's recipe function (a #@save cell of 02, 03, 04)
TRAINERS = {
    "softmax": softmax_trainer,
    "cosine": functools.partial(cosine_trainer, loss=losses.CosineSimilarityLoss),
    "cosent": functools.partial(cosine_trainer, loss=losses.CoSENTLoss),
    "angle": functools.partial(cosine_trainer, loss=losses.AnglELoss),
    "mnr": mnr_trainer,
    "cached-mnr": functools.partial(mnr_trainer, loss=losses.CachedMultipleNegativesRankingLoss),
}
FINETUNE = get_recipe("finetune-mnr")  # notebook 05's recipe: its settings and quick rows
COMPARISON = get_recipe("softmax")  # notebooks 02-03's loss comparison: its rows and rates


def _training_rows(profile: Profile, n_rows: int) -> Dataset:
    """The first ``n_rows`` labelled NLI rows of the profile's splits, as the notebooks."""
    return load_training_nli(profile.train_splits, n_rows=n_rows)


def soft_triplet_count(profile: Profile) -> int:
    """How many soft triplets notebook 04 trains on: the entailment rows among the first
    ``profile.n_train`` (:func:`embedlab.data.mnr_triplets` makes one of each)."""
    return _entailment_rows(profile.train_splits, profile.n_train, str(data_dir()))


@functools.lru_cache(maxsize=4)
def _entailment_rows(splits: tuple[str, ...], n_train: int, folder: str) -> int:
    labels = load_training_nli(splits, n_rows=n_train)["label"]
    return sum(1 for label in labels if label == 0)


def finetune_rows(profile: Profile) -> int:
    """How many triplets notebook 05 fine-tunes on (the ``finetune-mnr`` recipe's rows)."""
    rows = soft_triplet_count(profile)
    if profile_scale(profile) == "quick" and FINETUNE.quick_rows:
        rows = min(rows, FINETUNE.quick_rows)
    return rows


def _setting_of(recipe, setting: str):
    """``recipe``'s value of ``setting`` on a profile (a knob default or bound)."""
    return lambda profile: getattr(recipe.settings(profile), setting)


def _premise_split(seed: int) -> tuple[Dataset, Dataset]:
    """MNLI validation_matched split by premise: (training groups, held-out rows)."""
    return _split_from(seed, str(data_dir()))


@functools.lru_cache(maxsize=2)
def _split_from(seed: int, folder: str) -> tuple[Dataset, Dataset]:
    groups = load_nli("mnli", "validation_matched")
    return split_by_premise(groups, n_held_out=HELD_OUT_PREMISES, seed=seed)


def _first(dataset: Dataset, n: int, what: str) -> Dataset:
    if n > len(dataset):
        raise InputError(
            f"only {len(dataset):,} {what} exist in this data; ask for at most {len(dataset):,} "
            "training pairs"
        )
    return dataset.select(range(n))


def nli_training_set(loss: str, negatives: str, n_pairs: int, profile: Profile) -> Dataset:
    """``n_pairs`` training rows shaped for ``loss``, with ``negatives`` for MNR.

    As notebooks 02-05, from the first rows of the profile's NLI training splits
    (:func:`embedlab.data.load_training_nli`): softmax: labelled pairs of the first
    ``n_pairs`` rows; cosine/cosent/angle: 0/1 pairs of them; MNR: the first ``n_pairs``
    (anchor, positive) of the entailment rows among the first ``profile.n_train``, plus a random
    negative (soft; the notebooks' ``mnr_triplets``, seed ``profile.seed``), a mined (semi-hard)
    or contradicting (hard) one. Hard and semi-hard triplets come from MNLI validation_matched
    premise groups, held-out premises excluded (as in notebook 04).
    """
    if loss == "softmax":
        return nli_pairs(_training_rows(profile, n_pairs))
    if loss not in MNR_LOSSES:
        return cosine_pairs(_training_rows(profile, n_pairs))
    if negatives in ("none", "soft"):
        triplets = mnr_triplets(_training_rows(profile, profile.n_train), seed=profile.seed)
        triplets = _first(triplets, n_pairs, "entailment pairs")
        return triplets.select_columns(["anchor", "positive"]) if negatives == "none" else triplets
    hard = _first(
        _hard_triplets(profile), n_pairs, "premises with an entailment and a contradiction"
    )
    if negatives == "hard":
        return hard
    judge = load_pretrained_model(max_seq_length=profile.max_seq_length)
    return mined_negatives(hard, judge, range_min=10, range_max=50, relative_margin=0.05)


def _hard_triplets(profile: Profile) -> Dataset:
    """Notebook 04's hard triplets: validation premises with an entailment and a contradiction."""
    return _hard_from(profile.seed, str(data_dir()))


@functools.lru_cache(maxsize=2)
def _hard_from(seed: int, folder: str) -> Dataset:
    return contradiction_triplets(_split_from(seed, folder)[0])


def nli_pair_map(profile: Profile, n_points: int) -> MapSet:
    """Held-out MNLI validation pairs as (u, v, |u-v|), coloured by NLI label."""
    rows = _first(_premise_split(profile.seed)[1], n_points, "held-out validation pairs")
    premises, hypotheses = list(rows["premise"]), list(rows["hypothesis"])
    return MapSet(
        featurize=lambda model: pair_features(model, premises, hypotheses),
        labels=list(rows["label"]),
        label_names=NLI_LABELS,
        title="held-out MNLI pairs (u, v, |u-v|)",
    )


def panel_profile(
    settings: dict[str, Any], n_rows: int, profile: Profile, *, recipe_rows: int | None = None
) -> Profile:
    """The run's profile: ``profile`` with the panel's epochs, batch size and learning rate.

    When these are ``profile``'s own and the run trains on ``recipe_rows`` rows (the notebook
    recipe's training set), this is ``profile`` itself: the notebook's recipe, warm-up
    included. Otherwise the warm-up is scaled to the run (:func:`warmup_for`: at most a tenth
    of its steps).
    """
    chosen = {key: settings[key] for key in ("epochs", "batch_size", "learning_rate")}
    if n_rows == recipe_rows and all(getattr(profile, k) == v for k, v in chosen.items()):
        return profile
    return profile.with_changes(
        **chosen,
        warmup_steps=warmup_for(n_rows, settings["batch_size"], settings["epochs"], profile),
    )


def _recipe_rows(loss: str, negatives: str, profile: Profile, *, pretrained: bool) -> int | None:
    """How many rows the notebook's recipe trains on with data of this shape (hard or
    semi-hard negatives: ``None``, they come from elsewhere)."""
    if loss not in MNR_LOSSES:
        return COMPARISON.settings(profile).n_train
    if negatives not in ("none", "soft"):
        return None
    return finetune_rows(profile) if pretrained else soft_triplet_count(profile)


def _plan(settings: dict[str, Any], profile: Profile, *, pretrained: bool) -> TrainingPlan:
    loss = settings.get("loss", "mnr" if pretrained else "softmax")
    negatives = settings.get("negatives", "none")
    train_dataset = nli_training_set(loss, negatives, settings["n_pairs"], profile)
    if len(train_dataset) < settings["batch_size"]:
        raise InputError(
            f"only {len(train_dataset)} training rows are left (semi-hard mining drops anchors "
            f"without a suitable negative), fewer than the batch size {settings['batch_size']}: "
            "add training pairs or lower the batch size"
        )
    if pretrained:
        model = load_pretrained_model(max_seq_length=profile.max_seq_length)
        recipe_profile = FINETUNE.settings(profile)  # notebook 05's gentle rate and warm-up
    elif loss in MNR_LOSSES:
        model, recipe_profile = load_base_model(profile), profile
    else:  # the pair losses of notebooks 02-03: their own rows and rates
        model, recipe_profile = load_base_model(profile), COMPARISON.settings(profile)
    recipe_rows = _recipe_rows(loss, negatives, profile, pretrained=pretrained)
    return TrainingPlan(
        model=model,
        train_dataset=train_dataset,
        profile=panel_profile(
            settings, len(train_dataset), recipe_profile, recipe_rows=recipe_rows
        ),
        trainer=TRAINERS[loss],
    )


def _check_negatives(settings: dict[str, Any], profile: Profile) -> None:
    loss, negatives = settings.get("loss", "mnr"), settings.get("negatives", "none")
    if negatives != "none" and loss not in MNR_LOSSES:
        raise InputError(
            f"negatives {negatives!r} only apply to the MNR losses, which read (anchor, positive, "
            f"negative) rows; {loss} trains on labelled pairs. Set negatives to 'none' or the "
            "loss to 'mnr'"
        )
    if negatives == "semi-hard" and settings["n_pairs"] < SEMI_HARD_MIN_PAIRS:
        raise InputError(
            f"semi-hard mining needs at least {SEMI_HARD_MIN_PAIRS} training pairs (it skips "
            f"each anchor's 10 nearest texts); got {settings['n_pairs']}"
        )
    if negatives in ("hard", "semi-hard") and loss in MNR_LOSSES:
        available = len(_hard_triplets(profile))
        if settings["n_pairs"] > available:
            raise InputError(
                f"{negatives} negatives come from the {available:,} validation premises with an "
                f"entailment and a contradiction; ask for at most {available:,} training pairs "
                f"(got {settings['n_pairs']:,})"
            )


def _name(prefix: str, *parts: str) -> str:
    return "-".join(["panel", prefix, *[p for p in parts if p]])


_PAIR_KNOBS = (  # notebooks 02-03: defaults and the rows' bound from the loss comparison
    KNOBS["n_pairs"]
    .with_default(_setting_of(COMPARISON, "n_train"))
    .with_bounds(
        quick=(32, _setting_of(COMPARISON, "n_train")),
        full=(100, _setting_of(COMPARISON, "n_train")),
    ),
    KNOBS["epochs"],
    KNOBS["batch_size"],
    KNOBS["learning_rate"].with_default(_setting_of(COMPARISON, "learning_rate")),
)

SOFTMAX_PANEL = RecipeSpec(
    name="softmax",
    notebook="02_softmax_loss",
    title="SoftmaxLoss from the base model on MNLI pairs (three labels)",
    knobs=_PAIR_KNOBS,
    build=lambda s, p: _plan({**s, "loss": "softmax"}, p, pretrained=False),
    ledger_name=lambda s: "panel-softmax",
    map_set=nli_pair_map,
)

COSINE_PANEL = RecipeSpec(
    name="cosine",
    notebook="03_cosine_similarity_loss",
    title="A cosine loss from the base model on MNLI pairs (entailment = 1, else 0)",
    knobs=(KNOBS["loss"].with_choices(("cosine", "cosent", "angle")), *_PAIR_KNOBS),
    build=lambda s, p: _plan(s, p, pretrained=False),
    ledger_name=lambda s: _name(s["loss"]),
    map_set=nli_pair_map,
)

MNR_PANEL = RecipeSpec(
    name="mnr",
    notebook="04_mnr_loss_and_hard_negatives",
    title="MultipleNegativesRankingLoss from the base model: negatives and batch size",
    knobs=(
        KNOBS["loss"].with_choices(("mnr", "cached-mnr", "cosine", "softmax")),
        KNOBS["negatives"],
        # notebook 04's soft triplets: one per entailment row of the profile's n_train rows
        KNOBS["n_pairs"]
        .with_default(soft_triplet_count)
        .with_bounds(quick=(32, soft_triplet_count), full=(100, soft_triplet_count)),
        KNOBS["epochs"],
        KNOBS["batch_size"],
        KNOBS["learning_rate"],
    ),
    build=lambda s, p: _plan(s, p, pretrained=False),
    ledger_name=lambda s: _name(s["loss"], s["negatives"] if s["loss"] in MNR_LOSSES else ""),
    check=_check_negatives,
    map_set=nli_pair_map,
)

FINETUNE_PANEL = RecipeSpec(
    name="finetune",
    notebook="05_finetuning_pretrained",
    title="Fine-tune all-MiniLM-L6-v2 with MNR",
    knobs=(
        KNOBS["negatives"].with_choices(("soft", "hard", "none")),
        # notebook 05's recipe (finetune-mnr): its rows, one pass, its gentle learning rate
        KNOBS["n_pairs"].with_default(finetune_rows).with_bounds(quick=(32, 1280)),
        KNOBS["epochs"].with_default(_setting_of(FINETUNE, "epochs")).with_bounds(quick=(1, 2)),
        KNOBS["batch_size"].with_bounds(quick=(2, 64)),
        KNOBS["learning_rate"]
        .with_default(_setting_of(FINETUNE, "learning_rate"))
        .with_bounds(quick=(1e-6, 1e-3)),
    ),
    build=lambda s, p: _plan({**s, "loss": "mnr"}, p, pretrained=True),
    ledger_name=lambda s: _name("finetune", s["negatives"]),
    check=_check_negatives,
    map_set=nli_pair_map,
)

# the panels this module defines, in notebook order (embedlab.interactive.panels collects them)
PANELS = (SOFTMAX_PANEL, COSINE_PANEL, MNR_PANEL, FINETUNE_PANEL)
