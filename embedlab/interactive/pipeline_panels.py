"""The knob panels of notebooks 06-07: Augmented SBERT and TSDAE, pipelines of several steps.

Each *Run* repeats its notebook's pipeline at the panel's settings; the last step (the
bi-encoder's training) goes through the notebooks' recipe functions (:mod:`embedlab.recipes`:
``mnr_trainer`` or ``cosine_trainer``, ``tsdae_trainer``), shows the progress bar and lands in
the ledger as ``panel-augsbert-<pairing>`` or ``panel-tsdae-<ratio>``.

| panel      | notebook | knobs                                                                  |
|------------|----------|------------------------------------------------------------------------|
| `augsbert` | 06       | silver pairing (given, random, semantic), gold pairs, new pairs, epochs, batch size, learning rate |
| `tsdae`    | 07       | deletion ratio, pooling, sentences, epochs, batch size, learning rate  |
"""

from __future__ import annotations

import dataclasses
import tempfile
from typing import Any

from ..data import cosine_pairs, load_nli, load_training_nli
from ..evaluation import stsb_evaluator
from ..methods import augmentation as aug
from ..methods import tsdae
from ..models import load_base_model, load_pretrained_model
from ..profiles import Profile
from ..recipes.augsbert import TeacherSettings, teacher_trainer
from ..recipes.cosine import cosine_trainer
from ..recipes.mnr import mnr_trainer
from ..recipes.tsdae import TSDAE_FULL, TSDAE_QUICK, tsdae_trainer
from .explorers import item_set
from .knobs import KNOBS, Knob, MapSet, RecipeSpec, TrainingPlan
from .recipe_panels import nli_pair_map, panel_profile

__all__ = ["augsbert_plan", "tsdae_plan", "genre_map", "PANELS"]

HELD_BACK = 300  # labelled pairs after gold and new ones: the cross-encoder's accuracy

N_SILVER = Knob(
    "n_silver",
    "new pairs",
    "Augmented SBERT: unlabelled pairs made and labelled by the cross-encoder",
    "int",
    {"quick": 500, "full": 10_000},
    {"quick": (100, 4000), "full": (1000, 40_000)},
)


def augsbert_plan(settings: dict[str, Any], profile: Profile) -> TrainingPlan:
    """Gold pairs -> cross-encoder -> new pairs by ``pairing`` -> silver labels -> a plan.

    As notebook 06: the pairs come from the profile's NLI training rows, and the plan trains
    the base model on gold + silver (duplicates dropped) with the profile's bi-encoder loss
    (:func:`embedlab.methods.augmentation.bi_encoder_loss`); its ledger extras hold the
    cross-encoder's held-back accuracy and the silver set's size and share of positives.
    """
    n_gold, n_new, pairing = settings["n_pairs"], settings["n_silver"], settings["pairing"]
    rows = load_training_nli(profile.train_splits, n_rows=n_gold + n_new + HELD_BACK)
    pairs = cosine_pairs(rows)
    gold = pairs.select(range(n_gold))
    held_back = pairs.select(range(n_gold + n_new, len(pairs)))
    aug.check_gold_pairs(gold)
    base, _ = aug.cross_encoder_base(profile)
    # notebook 06's teacher at its own settings (not knobs: the panel is about the silver set)
    with tempfile.TemporaryDirectory(prefix="embedlab-teacher-") as scratch:
        teacher = teacher_trainer(base, gold, profile, TeacherSettings.of(profile), scratch)
        teacher.train()
    cross_encoder = teacher.model
    del teacher
    if pairing == "given":
        candidates = aug.given_pairs(rows.select(range(n_gold, n_gold + n_new)))
    elif pairing == "random":
        candidates = aug.random_pairs(gold, n_new, seed=profile.seed)
    else:
        embedder = load_pretrained_model(max_seq_length=profile.max_seq_length)
        top_k = max(1, n_new // len(set(gold["sentence1"])))
        candidates = aug.semantic_pairs(gold, embedder, top_k=top_k)
    silver = aug.label_pairs(cross_encoder, candidates)
    labelled = aug.gold_plus_silver(gold, silver)
    loss = aug.bi_encoder_loss(profile)
    train_dataset = aug.bi_encoder_dataset(labelled, loss)
    report = aug.classification_report(cross_encoder, held_back)
    return TrainingPlan(
        model=load_base_model(profile),
        train_dataset=train_dataset,
        profile=panel_profile(settings, len(train_dataset), profile),
        trainer=mnr_trainer if loss == "mnr" else cosine_trainer,  # notebook 06's choice
        extra={
            "cross_encoder_accuracy": report["accuracy"],
            "majority_baseline": report["majority_baseline"],
            "n_gold": n_gold,
            "n_silver": len(labelled) - n_gold,
            "silver_positive_rate": round(sum(silver["score"]) / max(1, len(silver)), 3),
        },
    )


def tsdae_plan(settings: dict[str, Any], profile: Profile) -> TrainingPlan:
    """SNLI sentences (captions) damaged at ``deletion_ratio``; the base model with ``pooling``.

    As notebook 07, the run is also scored on the captions of STS-B (the target domain),
    recorded as ``untrained_target`` / ``trained_target``.
    """
    sentences = tsdae.unlabelled_sentences(load_nli("snli", "train"), settings["n_pairs"])
    train_dataset = tsdae.denoising_pairs(sentences, settings["deletion_ratio"], seed=profile.seed)
    model = load_base_model(profile, pooling=settings["pooling"])
    return TrainingPlan(
        model=model,
        train_dataset=train_dataset,
        profile=panel_profile(settings, len(train_dataset), profile),
        trainer=tsdae_trainer,  # notebook 07's recipe
        target_evaluator=stsb_evaluator(genre="main-captions"),
        extra={"deletion_ratio": settings["deletion_ratio"], "pooling": settings["pooling"]},
    )


TSDAE_POOLING = Knob(
    "pooling",
    "pooling",
    "TSDAE's sentence vector: the [CLS] token's output, or the mean of all tokens' outputs",
    "choice",
    {"quick": TSDAE_QUICK.pooling, "full": TSDAE_FULL.pooling},
    choices=("mean", "cls"),
)


def genre_map(profile: Profile, n_points: int) -> MapSet:
    """STS-B validation sentences coloured by genre (captions, news, forums)."""
    items = item_set("STS-B sentences · genre", n_points)
    return MapSet(items.featurize, items.labels, None, "STS-B sentences by genre")


AUGSBERT_PANEL = RecipeSpec(
    name="augsbert",
    notebook="06_augmented_sbert",
    title="Augmented SBERT: a cross-encoder labels new pairs for the bi-encoder",
    knobs=(
        KNOBS["pairing"],
        dataclasses.replace(
            KNOBS["n_pairs"],
            label="gold pairs",
            help="labelled pairs: the cross-encoder's training set and the bi-encoder's gold",
            defaults={"quick": 500, "full": 10_000},
            bounds={"quick": (200, 4000), "full": (1000, 20_000)},
        ),
        N_SILVER,
        KNOBS["epochs"],
        KNOBS["batch_size"],
        # a few hundred pairs train a few dozen steps: quick keeps the faster rate it had
        KNOBS["learning_rate"].with_range(quick=(1e-3, (1e-6, 1e-2))),
    ),
    build=augsbert_plan,
    ledger_name=lambda s: f"panel-augsbert-{s['pairing']}",
    map_set=nli_pair_map,
)

TSDAE_PANEL = RecipeSpec(
    name="tsdae",
    notebook="07_tsdae_domain_adaptation",
    title="TSDAE: rebuild captions from damaged copies, no labels",
    knobs=(
        KNOBS["deletion_ratio"],
        TSDAE_POOLING,
        dataclasses.replace(
            KNOBS["n_pairs"],
            label="training sentences",
            help="unlabelled SNLI captions to rebuild",
            defaults={"quick": 1000, "full": 25_000},
            bounds={"quick": (64, 4000), "full": (1000, 50_000)},
        ),
        KNOBS["epochs"],
        KNOBS["batch_size"].with_range(quick=(16, (2, 64)), full=(16, (2, 64))),
        KNOBS["learning_rate"].with_range(
            quick=(TSDAE_QUICK.learning_rate, (1e-6, 1e-2)),
            full=(TSDAE_FULL.learning_rate, (1e-6, 1e-3)),
        ),
    ),
    build=tsdae_plan,
    ledger_name=lambda s: f"panel-tsdae-{s['deletion_ratio']:g}",
    map_set=genre_map,
)

# the panels this module defines, in notebook order (embedlab.interactive.panels collects them)
PANELS = (AUGSBERT_PANEL, TSDAE_PANEL)
