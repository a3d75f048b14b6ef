"""Knob panels without the widgets: the knobs a recipe exposes, their bounds, checks and runs.

A notebook builds its panel in the cell before it shows it, from what the notebook already
made: a :class:`RecipeSpec` names the knobs a learner may turn (training pairs, epochs, batch
size, learning rate, negatives, deletion ratio...), their bounds on each profile, and a
``build`` function that turns the chosen settings into a :class:`TrainingPlan`: the model, the
notebook's own training rows and its ``#@save`` trainer function (:mod:`embedlab.recipes`).
:func:`run_knobs` checks the settings, maps a fixed validation set, trains the plan inside
:class:`embedlab.training.run.recorded_run` (so every run lands in the ledger) and maps it
again. :mod:`embedlab.interactive.widgets` is only a shell over these functions:

>>> spec = RecipeSpec("softmax", NOTEBOOK, "SoftmaxLoss", knobs, ledger_name, build=plan)
>>> settings = validate_settings(spec, {"n_pairs": 500}, profile)   # InputError if bad
>>> outcome = run_knobs(spec, settings, profile)     # settings -> build -> trainer
>>> outcome.result.trained["spearman_cosine"]
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

import numpy as np
from datasets import Dataset
from sentence_transformers import SentenceTransformer, SentenceTransformerTrainer
from transformers import TrainerCallback

from ..data import NLI_LABELS, load_nli, split_by_premise
from ..errors import InputError
from ..evaluation import pair_features, stsb_evaluator
from ..methods.augmentation import PAIRING_STRATEGIES
from ..plots import umap_coordinates
from ..profiles import Profile
from ..settings import as_number, check_profile, check_setting, profile_scale
from ..sources import data_dir
from ..training.run import RunResult, recorded_run
from .explorers import item_set

__all__ = [
    "Knob",
    "KNOBS",
    "TrainingPlan",
    "MapSet",
    "RecipeSpec",
    "PanelOutcome",
    "StepProgress",
    "check_spec",
    "knob_default",
    "knob_bounds",
    "default_settings",
    "validate_settings",
    "run_knobs",
    "warmup_for",
    "panel_profile",
    "first_rows",
    "nli_pair_map",
    "genre_map",
]


@dataclass(frozen=True)
class Knob:
    """One setting a learner may change, with its bounds on each profile.

    ``bounds`` and ``defaults`` are keyed by profile name (``"quick"``, ``"full"``); a profile
    of another name uses the ``"full"`` entries. A default or a bound may be a function of the
    :class:`Profile` (e.g. ``attrgetter("epochs")``), read when a panel opens: the catalogue's
    training knobs start at the profile's own settings, the notebook's recipe. A knob with
    ``choices`` is a drop-down.
    """

    name: str  # keyword the recipe's build function receives
    label: str  # shown beside the widget
    help: str  # one line: what turning it teaches
    kind: str  # "int", "float" or "choice"
    defaults: Mapping[str, Any]  # profile name -> default value, or Profile -> value
    bounds: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)  # inclusive, as defaults
    choices: tuple[str, ...] = ()  # for kind "choice"

    def with_range(self, **by_profile: tuple[Any, tuple[float, float]]) -> Knob:
        """A copy with new (default, (low, high)) per profile, e.g. ``quick=(320, (32, 1280))``."""
        return Knob(
            self.name,
            self.label,
            self.help,
            self.kind,
            {**self.defaults, **{p: d for p, (d, _) in by_profile.items()}},
            {**self.bounds, **{p: b for p, (_, b) in by_profile.items()}},
            self.choices,
        )

    def with_bounds(self, **by_profile: tuple[Any, Any]) -> Knob:
        """A copy with new (low, high) per profile, e.g. ``quick=(32, 1280)``."""
        return dataclasses.replace(self, bounds={**self.bounds, **by_profile})

    def up_to(
        self, n_rows: int, *, default: int | None = None, label: str = "", help: str = ""
    ) -> Knob:
        """A copy for a training set of ``n_rows``: from 32 (or all, when fewer) to all of
        them, ``default`` (all) to start; ``label`` and ``help`` replace the knob's own."""
        return dataclasses.replace(
            self,
            label=label or self.label,
            help=help or self.help,
            defaults=_same(n_rows if default is None else default),
            bounds=_same((min(32, n_rows), n_rows)),
        )

    def with_choices(self, choices: Sequence[str], default: str | None = None) -> Knob:
        """A copy offering only ``choices`` (default: the first)."""
        chosen = default or choices[0]
        return Knob(
            self.name,
            self.label,
            self.help,
            self.kind,
            {p: chosen for p in ("quick", "full")},
            self.bounds,
            tuple(choices),
        )


def _same(value: Any) -> dict[str, Any]:
    return {"quick": value, "full": value}


_N_TRAIN = attrgetter("n_train")  # the NLI rows the profile's loss recipes train on


# The catalogue of teaching knobs; a recipe spec takes the ones it needs, re-bounded if needed.
KNOBS: dict[str, Knob] = {
    knob.name: knob
    for knob in (
        Knob(
            "loss",
            "loss",
            "which objective shapes the space (02-04 compare them)",
            "choice",
            _same("softmax"),
            choices=("softmax", "cosine", "cosent", "angle", "mnr", "cached-mnr"),
        ),
        Knob(
            "n_pairs",
            "training pairs",
            "how much labelled data; more pairs, better scores, longer runs",
            "int",
            _same(_N_TRAIN),
            {"quick": (32, _N_TRAIN), "full": (100, _N_TRAIN)},
        ),
        Knob(
            "epochs",
            "epochs",
            "passes over the data",
            "int",
            _same(attrgetter("epochs")),
            {"quick": (1, 3), "full": (1, 3)},
        ),
        Knob(
            "batch_size",
            "batch size",
            "pairs per step; for MNR also the number of in-batch negatives",
            "int",
            _same(attrgetter("batch_size")),
            {"quick": (2, 256), "full": (2, 128)},
        ),
        Knob(
            "learning_rate",
            "learning rate",
            "step size: too small learns nothing, too large wrecks a pretrained model",
            "float",
            _same(attrgetter("learning_rate")),
            {"quick": (1e-6, 1e-2), "full": (1e-6, 1e-3)},
        ),
        Knob(
            "negatives",
            "negatives",
            "none = in-batch only; soft, easy = random; semi-hard = mined; hard = contradiction",
            "choice",
            _same("soft"),
            choices=("none", "soft", "easy", "semi-hard", "hard"),
        ),
        Knob(
            "pooling",
            "pooling",
            "the sentence vector: the [CLS] token's output, or the mean of all tokens' outputs",
            "choice",
            _same("mean"),
            choices=("mean", "cls"),
        ),
        Knob(
            "deletion_ratio",
            "deletion ratio",
            "TSDAE: share of words deleted before the encoder reads a sentence",
            "float",
            _same(0.6),
            {"quick": (0.1, 0.9), "full": (0.1, 0.9)},
        ),
        Knob(
            "pairing",
            "silver pairing",
            "Augmented SBERT: how new pairs are made for the cross-encoder to label",
            "choice",
            _same("semantic"),
            choices=PAIRING_STRATEGIES,
        ),
    )
}


@dataclass
class TrainingPlan:
    """Everything one panel run needs, built from its settings: the model, data and profile,
    and the notebook's recipe function that trains them (``trainer``)."""

    model: SentenceTransformer  # trained in place
    train_dataset: Dataset  # columns in the order the loss expects
    profile: Profile  # the run's profile (epochs, batch size, warm-up...)
    # a notebook's recipe function (embedlab.recipes): (model, train_dataset, profile,
    # evaluator) -> SentenceTransformerTrainer with its loss and arguments
    trainer: Callable[..., SentenceTransformerTrainer]
    extra: dict[str, Any] = field(default_factory=dict)  # extra ledger keys
    target_evaluator: Any = None  # a second evaluation, scored before and after (07's captions)


@dataclass
class MapSet:
    """A fixed set of items mapped with UMAP before and after a run, coloured by label."""

    featurize: Callable[[SentenceTransformer], np.ndarray]  # model -> (n, d) features
    labels: list[Any]  # one per item
    label_names: dict[Any, str] | None  # label -> legend text
    title: str  # what the points are, e.g. "MNLI validation pairs (u, v, |u-v|)"


@dataclass(frozen=True)
class RecipeSpec:
    """A recipe's knob panel: the knobs, an optional cross-knob check and how to train with
    them: ``build`` (settings, profile -> :class:`TrainingPlan`), a function of the notebook
    cell that builds the panel, whose trainer function :func:`run_knobs` trains. Work before
    training (07 damages its captions at the chosen ratio) happens in ``build``."""

    name: str  # short name, e.g. "softmax"
    notebook: str  # the notebook that teaches it (ledger's notebook field)
    title: str  # one line shown at the top of the panel
    knobs: tuple[Knob, ...]  # the knobs shown, in order
    ledger_name: Callable[[dict[str, Any]], str]  # settings -> ledger recipe name
    build: Callable[[dict[str, Any], Profile], TrainingPlan]  # settings -> plan
    check: Callable[[dict[str, Any], Profile], None] | None = None  # raise InputError
    map_set: Callable[[Profile, int], MapSet] | None = None  # what to map before/after

    def knob(self, name: str) -> Knob:
        """The knob called ``name``."""
        for knob in self.knobs:
            if knob.name == name:
                return knob
        raise InputError(f"recipe {self.name!r} has no knob {name!r}; it has {self.knob_names}")

    @property
    def knob_names(self) -> list[str]:
        """The knobs' names, in panel order."""
        return [knob.name for knob in self.knobs]


@dataclass
class PanelOutcome:
    """What one Run of a knob panel produced."""

    spec: RecipeSpec
    settings: dict[str, Any]  # the validated settings
    result: RunResult  # scores before/after, seconds, the ledger record
    maps: dict[str, np.ndarray] = field(default_factory=dict)  # "before"?, "after" -> (n, 2)
    map_set: MapSet | None = None  # labels and title of the maps
    notes: dict[str, Any] = field(default_factory=dict)  # what the plan adds (e.g. silver size)

    def summary(self) -> str:
        """The settings; STS-B Spearman before -> after with the time; target scores, notes."""
        shown = ", ".join(f"{k} {_format(v)}" for k, v in self.settings.items())
        before = self.result.untrained.get("spearman_cosine", float("nan"))
        after = self.result.trained.get("spearman_cosine", float("nan"))
        lines = [
            f"{self.result.recipe}: {shown}",
            f"STS-B Spearman {before:.3f} -> {after:.3f} "
            f"({after - before:+.3f}; {self.result.steps} steps, {self.result.seconds:.1f} s)",
        ]
        record = self.result.record
        if record.get("trained_target"):
            start, end = (
                record[key].get("spearman_cosine", float("nan"))
                for key in ("untrained_target", "trained_target")
            )
            lines.append(f"target domain Spearman {start:.3f} -> {end:.3f}")
        notes = {k: v for k, v in self.notes.items() if k not in self.settings}
        if notes:
            lines.append(", ".join(f"{k} {_format(v)}" for k, v in notes.items()))
        return "\n".join(lines)


def _format(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.0e}" if 0 < abs(value) < 1e-2 else f"{value:g}"
    return str(value)


class StepProgress(TrainerCallback):
    """A trainer callback that reports (step, total steps) to ``report`` after every step."""

    def __init__(self, report: Callable[[int, int], None]) -> None:
        self.report = report

    def on_train_begin(self, args, state, control, **kwargs):
        self.report(0, state.max_steps)

    def on_step_end(self, args, state, control, **kwargs):
        self.report(state.global_step, state.max_steps)


def check_spec(spec: RecipeSpec) -> RecipeSpec:
    """``spec`` if its knobs and functions are well formed; raise :class:`InputError` if not."""
    spec = _spec(spec)
    if not callable(spec.build):
        raise InputError(f"knob panel {spec.name!r} needs build=, a function settings -> plan")
    for knob in spec.knobs:
        if knob.kind not in ("int", "float", "choice"):
            raise InputError(f"knob {knob.name!r} has kind {knob.kind!r}; use int, float, choice")
        if knob.kind == "choice" and not knob.choices:
            raise InputError(f"choice knob {knob.name!r} needs choices")
        if knob.kind != "choice" and not {"quick", "full"} <= set(knob.bounds):
            raise InputError(f"knob {knob.name!r} needs bounds for the quick and full profiles")
    return spec


def _spec(recipe: RecipeSpec) -> RecipeSpec:
    if not isinstance(recipe, RecipeSpec):
        raise InputError(
            f"expected a RecipeSpec, got {recipe!r}: a notebook builds its panel's spec in the "
            "cell above its el.knob_panel(...) call; run that cell and pass the spec"
        )
    return recipe


def _profile_key(profile: Profile) -> str:
    return profile_scale(profile)  # a renamed profile: by its base model


_SCALE_RULE = (
    "a profile named other than quick or full takes the bounds of the built-in profile with "
    "its base model"
)


def _on(value: Any, profile: Profile) -> Any:
    """A knob's default or bound on ``profile``: the value, or what its function gives."""
    return value(profile) if callable(value) else value


def knob_default(knob: Knob, profile: Profile) -> Any:
    """The default of ``knob`` on ``profile``."""
    return _on(knob.defaults[_profile_key(profile)], profile)


def knob_bounds(knob: Knob, profile: Profile) -> tuple[float, float] | None:
    """(low, high) of a numeric knob on ``profile``; ``None`` for a choice."""
    if knob.kind == "choice":
        return None
    low, high = knob.bounds[_profile_key(profile)]
    return _on(low, profile), _on(high, profile)


def default_settings(recipe: RecipeSpec, profile: Profile) -> dict[str, Any]:
    """Every knob of ``recipe`` at its default for ``profile``."""
    return {knob.name: knob_default(knob, profile) for knob in _spec(recipe).knobs}


def _check_value(knob: Knob, value: Any, profile: Profile) -> Any:
    if knob.kind == "choice":
        if value not in knob.choices:
            raise InputError(f"{knob.label} {value!r} is not offered; choose one of {knob.choices}")
        return value
    low, high = knob_bounds(knob, profile)
    value = as_number(knob.label, value)  # the shared check: NumPy numbers count
    if knob.kind == "int":
        if value != int(value):
            raise InputError(f"{knob.label} must be a whole number, got {_format(value)}")
        value = int(value)
    if not low <= value <= high:
        scale = profile_scale(profile)
        whose = "" if scale == profile.name else f" (the {scale} profile's bounds: {_SCALE_RULE})"
        raise InputError(
            f"{knob.label} {_format(value)} is out of range for the {profile.name} profile{whose}: "
            f"choose a value from {_format(low)} to {_format(high)}"
        )
    return value


def validate_settings(
    recipe: RecipeSpec, settings: Mapping[str, Any], profile: Profile
) -> dict[str, Any]:
    """Defaults updated with ``settings``, each checked; raise :class:`InputError` if wrong.

    Checks each value against its knob's bounds on ``profile``, then settings that clash
    with each other (the batch larger than the training set, negatives with a pair loss...).
    """
    spec = _spec(recipe)
    check_profile(profile, "validate_settings")
    if not isinstance(settings, Mapping):
        raise InputError(
            f"settings must be a dict of knob values, e.g. {{'n_pairs': 500}}, not "
            f"{type(settings).__name__} {str(settings)[:40]!r}"
        )
    unknown = sorted(set(settings) - set(spec.knob_names))
    if unknown:
        raise InputError(f"recipe {spec.name!r} has no knob(s) {unknown}; it has {spec.knob_names}")
    merged = {**default_settings(spec, profile), **settings}
    checked = {name: _check_value(spec.knob(name), merged[name], profile) for name in merged}
    for name, value in checked.items():
        check_setting(name, value)  # the same check as every other door (bounds aside)
    if "batch_size" in checked and "n_pairs" in checked:
        if checked["batch_size"] > checked["n_pairs"]:
            raise InputError(
                f"batch size {checked['batch_size']} is larger than the {checked['n_pairs']} "
                "training pairs: lower the batch size or add pairs"
            )
    if spec.check is not None:
        spec.check(checked, profile)
    return checked


def warmup_for(n_rows: int, batch_size: int, epochs: int, profile: Profile) -> int:
    """The profile's warm-up, but at most a tenth of the run's steps (short runs need less)."""
    steps = math.ceil(n_rows / batch_size) * epochs
    return min(profile.warmup_steps, max(1, steps // 10))


def run_knobs(
    recipe: RecipeSpec,
    settings: Mapping[str, Any],
    profile: Profile,
    *,
    notebook: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    map_points: int | None = None,
    evaluator=None,
    callbacks: Sequence[TrainerCallback] = (),
) -> PanelOutcome:
    """Validate ``settings``, train ``recipe`` with them and record the run in the ledger.

    Args:
        recipe: the panel's :class:`RecipeSpec`.
        settings: knob values; missing ones take their defaults.
        profile: bounds and the remaining training settings come from it.
        notebook: the ledger's notebook field (default: the recipe's notebook).
        progress: called with (step, total steps) during training.
        map_points: items mapped with UMAP before and after (default
            ``min(300, profile.umap_points)``; 0 = no maps).
        evaluator: the scores' evaluator, default STS-B validation (as the book; tests and
            demos may pass a smaller one, e.g. ``stsb_evaluator(rows=range(200))``).
        callbacks: more trainer callbacks, e.g. a panel's live curve.

    Returns:
        A :class:`PanelOutcome`; bad settings raise :class:`InputError` before anything runs.
    """
    spec = _spec(recipe)
    checked = validate_settings(spec, settings, profile)
    n_map = min(300, profile.umap_points) if map_points is None else map_points
    map_set = spec.map_set(profile, n_map) if (spec.map_set and n_map >= 4) else None
    plan = spec.build(checked, profile)
    maps = {}
    if map_set is not None:
        maps["before"] = umap_coordinates(map_set.featurize(plan.model), seed=profile.seed)
    trainer = plan.trainer(
        plan.model, plan.train_dataset, plan.profile, evaluator or stsb_evaluator()
    )
    for callback in [*([StepProgress(progress)] if progress else []), *callbacks]:
        trainer.add_callback(callback)
    with recorded_run(
        trainer,
        notebook=notebook or spec.notebook,
        recipe=spec.ledger_name(checked),
        profile=plan.profile,
        target_evaluator=plan.target_evaluator,
        extra={"source": "knob panel", "settings": checked, **plan.extra},
    ) as run:
        trainer.train()
    result = run.result
    if map_set is not None and result.model is not None:
        maps["after"] = umap_coordinates(map_set.featurize(result.model), seed=profile.seed)
    return PanelOutcome(
        spec=spec, settings=checked, result=result, maps=maps, map_set=map_set, notes=plan.extra
    )


def panel_profile(
    settings: Mapping[str, Any], n_rows: int, profile: Profile, *, recipe_rows: int | None = None
) -> Profile:
    """The run's profile: ``profile`` with the panel's epochs, batch size and learning rate.

    When these are ``profile``'s own and the run trains on ``recipe_rows`` rows (the notebook's
    training set), this is ``profile`` itself: the notebook's recipe, warm-up included.
    Otherwise the warm-up is scaled to the run (:func:`warmup_for`).
    """
    chosen = {key: settings[key] for key in ("epochs", "batch_size", "learning_rate")}
    if n_rows == recipe_rows and all(getattr(profile, k) == v for k, v in chosen.items()):
        return profile
    return profile.with_changes(
        **chosen,
        warmup_steps=warmup_for(n_rows, settings["batch_size"], settings["epochs"], profile),
    )


def first_rows(dataset: Dataset, n_rows: int, what: str = "training rows") -> Dataset:
    """The first ``n_rows`` of ``dataset``; an :class:`InputError` when it has fewer."""
    if n_rows > len(dataset):
        raise InputError(
            f"only {len(dataset):,} {what} exist here; ask for at most {len(dataset):,}"
        )
    return dataset.select(range(n_rows))


HELD_OUT_PREMISES = 500  # as notebooks 04 and 05: MNLI premises kept out of training


@functools.lru_cache(maxsize=2)
def _held_out_pairs(seed: int, folder: str) -> Dataset:
    groups = load_nli("mnli", "validation_matched")
    return split_by_premise(groups, n_held_out=HELD_OUT_PREMISES, seed=seed)[1]


def genre_map(profile: Profile, n_points: int) -> MapSet:
    """STS-B validation sentences coloured by genre (captions, news, forums): 07's map."""
    items = item_set("STS-B sentences · genre", n_points)
    return MapSet(items.featurize, items.labels, None, "STS-B sentences by genre")


def nli_pair_map(profile: Profile, n_points: int) -> MapSet:
    """Held-out MNLI validation pairs as (u, v, |u-v|), coloured by NLI label: the map the
    panels of 02-06 draw before and after a run."""
    rows = first_rows(_held_out_pairs(profile.seed, str(data_dir())), n_points)
    premises, hypotheses = list(rows["premise"]), list(rows["hypothesis"])
    return MapSet(
        featurize=lambda model: pair_features(model, premises, hypotheses),
        labels=list(rows["label"]),
        label_names=NLI_LABELS,
        title="held-out MNLI pairs (u, v, |u-v|)",
    )
