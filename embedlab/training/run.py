"""Recording a training run in the ledger: the scores before and after, the time, the model.

A notebook builds its loss, evaluator, arguments and trainer itself, in plain
sentence-transformers code (its ``#@save`` recipe cells, :mod:`embedlab.recipes`), and trains
inside :class:`recorded_run`, which checks the run's inputs first, scores the untrained model,
measures time and peak memory, scores the trained one, saves it in the runs folder and appends
a ledger record:

>>> trainer = softmax_trainer(model, nli_pairs(mnli), profile, stsb_evaluator())
>>> with recorded_run(trainer, notebook="02_softmax_loss", recipe="softmax",
...                   profile=profile) as run:
...     trainer.train()
>>> run.result.untrained["spearman_cosine"], run.result.trained["spearman_cosine"]
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sentence_transformers import (
    SentenceTransformer,
    SentenceTransformerTrainer,
    SentenceTransformerTrainingArguments,
)
from sentence_transformers.sentence_transformer.evaluation import EmbeddingSimilarityEvaluator
from sentence_transformers.util.distributed import distributed_evaluation
from torch import nn

from ..artefacts import distinct_name, space_needed, write_folder
from ..errors import InputError
from ..evaluation import (
    SCORE_KEYS,
    check_evaluator,
    evaluate_sts,
    metrics_before_training,
    scores_before_training,
    sts_scores,
    stsb_evaluator,
)
from ..loss_data import check_loss_data
from ..memory import PeakMemory, free_memory
from ..models import STANDIN_NAME, max_positions
from ..profiles import STANDIN, Profile, device_name
from ..settings import NAME_LIMIT, check_profile, check_seq_length
from .distributed import is_main_process, wait_for_everyone, world_size
from .ledger import check_runs_dir, record_run
from .ledger_schema import RECORD_KEYS, field_problems
from .progress import use_progress_line

__all__ = [
    "RunResult",
    "recorded_run",
    "record_evaluation",
    "record_cross_encoder",
    "model_folder",
    "target_scores",
    "check_run_inputs",
    "PeakMemory",
    "free_memory",
]

log = logging.getLogger(__name__)

# ledger keys a run fills itself: ``extra`` may not set them ...
_RUN_FIELDS = frozenset({*RECORD_KEYS, "learning_rate_mapping"})
# ... except the scores on a target domain, which a caller may measure itself and pass in
# extra; recorded_run fills them only when given a target_evaluator
TARGET_FIELDS = frozenset({"untrained_target", "trained_target"})


@dataclass
class RunResult:
    """What one training run produced."""

    recipe: str  # ledger name of the recipe, e.g. "softmax"
    untrained: dict[str, float]  # STS-B scores before training
    trained: dict[str, float]  # STS-B scores after training
    seconds: float  # wall time of training alone
    peak_memory_mb: float  # see PeakMemory
    steps: int  # optimiser steps taken
    model_path: str  # where the trained model was saved
    history: list[dict[str, Any]] = field(default_factory=list)  # trainer's log (loss, evals)
    record: dict[str, Any] = field(default_factory=dict)  # the ledger record
    model: SentenceTransformer | None = field(default=None, repr=False)  # the trained model

    def improvement(self) -> float:
        """Trained minus untrained Spearman."""
        return round(self.trained["spearman_cosine"] - self.untrained["spearman_cosine"], 4)


def check_run_inputs(
    *,
    notebook: Any,
    recipe: Any,
    profile: Any,
    model: Any,
    extra: Any,
    where: str,
    allowed: frozenset[str] = TARGET_FIELDS,
) -> dict[str, Any]:
    """Check what a run records before any work: the names (by the ledger's own rule,
    :func:`embedlab.training.ledger_schema.field_problems`, as the record will be written),
    the profile and ``extra``; return ``extra`` as a dict.

    ``extra`` must be a dict whose keys are text and none of the keys the run fills itself
    (``steps``, ``notebook``...) but those in ``allowed``; otherwise :class:`InputError`
    naming the field and the fix.
    """
    check_profile(profile, where)
    validate = getattr(profile, "validate", None)
    if callable(validate):
        validate()  # a Profile built by hand gets the checks with_changes gives
    names = {"notebook": notebook, "recipe": recipe, "profile": recorded_profile(profile, model)}
    problems = field_problems(names)
    if problems:
        raise InputError(
            f"{where}: {'; '.join(problems)}. Names are text of at most {NAME_LIMIT} "
            "characters, e.g. notebook='02_softmax_loss', recipe='softmax'; nothing was "
            "trained or written."
        )
    if extra is None:
        return {}
    if not isinstance(extra, Mapping):
        raise InputError(
            f"{where}: extra must be a dict of more ledger keys, e.g. extra={{'group_size': 8}}, "
            f"not {type(extra).__name__} {str(extra)[:40]!r}"
        )
    odd = [key for key in extra if not isinstance(key, str)]
    if odd:
        raise InputError(f"{where}: extra's keys must be text (ledger keys), got {odd[0]!r}")
    clash = sorted((set(extra) & _RUN_FIELDS) - allowed)
    if clash:
        raise InputError(
            f"{where}: extra sets {clash}, which the run records itself; give your own keys "
            "other names (e.g. extra={'my_steps': 1}), and pass training settings as "
            "overrides (max_steps=..., batch_size=...) or through the profile "
            "(profile.with_changes(...)). Nothing was trained."
        )
    return dict(extra)


def _check_model(model: Any, where: str) -> None:
    """A SentenceTransformer whose ``max_seq_length`` fits its token positions."""
    if not isinstance(model, SentenceTransformer):
        raise InputError(
            f"{where} needs a SentenceTransformer model, not {type(model).__name__} "
            f"{str(model)[:40]!r}; load one first, e.g. el.load_base_model(profile)"
        )
    name = getattr(model, "embedlab_base_name", None) or "this model"
    check_seq_length(model.max_seq_length or 0, max_positions(model), name)


def _ledger_record(
    notebook: str, recipe: str, model: SentenceTransformer, profile: Profile, **fields: Any
) -> dict[str, Any]:
    """The keys every ledger record shares, plus ``fields``."""
    return {
        "notebook": notebook,
        "recipe": recipe,
        "profile": recorded_profile(profile, model),
        "base_model": getattr(model, "embedlab_base_name", type(model).__name__),
        "device": device_name(),
        "seed": profile.seed,
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        # the machine's load when the run ended: a time measured under a load above the
        # cores is not comparable with one measured on an idle machine
        "load_average": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "cores": os.cpu_count(),
        **fields,
    }


def _stands_in(profile: Profile, model: SentenceTransformer) -> bool:
    """True when ``profile`` asks for a Hub base model but ``model`` is embedlab's stand-in."""
    base = getattr(model, "embedlab_base_name", None)
    return profile.base_model != STANDIN and base == STANDIN_NAME


def recorded_profile(profile: Profile, model: SentenceTransformer) -> str:
    """The ledger's profile: ``"full-standin"`` when the stand-in replaced the full base."""
    return f"{profile.name}-standin" if _stands_in(profile, model) else profile.name


def _warn_if_standin(profile: Profile, model: SentenceTransformer) -> None:
    if _stands_in(profile, model):
        warnings.warn(
            f"the {profile.name} profile's base model {profile.base_model} is not available "
            f"here (no Hub, no lab kit with it), so embedlab's small stand-in base "
            f"({STANDIN_NAME}) is trained instead: its scores are not the {profile.name} "
            f"profile's, and the run is recorded as profile "
            f"{recorded_profile(profile, model)!r}. For the real run, connect to the Hub or "
            f"use a kit with it (embedlab-labkit download --profile {profile.name}).",
            UserWarning,
            stacklevel=3,
        )


def model_folder(
    notebook: str, recipe: str, profile: Profile, model: SentenceTransformer | None = None
) -> Path:
    """Where :class:`recorded_run` saves: ``<runs>/models/<notebook>--<recipe>--<profile>--seed<n>``.

    Each name becomes a safe folder name (``"../../x"`` -> ``"x~<hash>"``, see
    :func:`embedlab.artefacts.distinct_name`), so a model never lands outside ``models/`` and
    two names that become alike never share a folder; the runs folder is checked first
    (:func:`embedlab.training.ledger.check_runs_dir`), with room for ``model`` when given.
    """
    root = check_runs_dir(needed_bytes=space_needed(model) if isinstance(model, nn.Module) else 0)
    parts = [distinct_name(notebook), distinct_name(recipe), distinct_name(profile.name)]
    name = "--".join([*parts, f"seed{profile.seed}"])
    if parts != [notebook, recipe, profile.name]:
        log.warning(
            "the model of %r / %r is saved as %s (a safe folder name)", notebook, recipe, name
        )
    return root / "models" / name


def _save_and_record(result: RunResult, *, notebook: str, profile: Profile, **fields: Any) -> None:
    """Save ``result.model`` in its runs folder (whole or not at all) and append its ledger
    record; ``fields`` are the record's run-specific keys (n_train, epochs, ...)."""
    model = result.model
    write_folder(  # a full disk or read-only folder: StorageError, and no record
        Path(result.model_path),
        lambda folder: model.save(str(folder)),
        fix="The run was not recorded in the ledger. Free some space or make that folder "
        "writable (or set EMBEDLAB_RUNS_DIR to another folder), and run again.",
    )
    result.record = _ledger_record(
        notebook,
        result.recipe,
        model,
        profile,
        **fields,
        steps=result.steps,
        seconds=result.seconds,
        peak_memory_mb=result.peak_memory_mb,
        untrained=result.untrained,
        trained=result.trained,
        model_path=result.model_path,
    )
    record_run(result.record)
    log.info(
        "%s: untrained %s -> trained %s in %.0f s",
        result.recipe,
        result.untrained,
        result.trained,
        result.seconds,
    )


class recorded_run:  # noqa: N801  (used like a function: ``with recorded_run(trainer, ...)``)
    """Record a trainer's run in the ledger: every run of the suite trains inside one.

    The notebook builds the loss, evaluator, arguments and trainer itself and calls
    ``trainer.train()`` inside the block; this checks the run's names, model and training
    data first (:func:`embedlab.loss_data.check_loss_data`: the columns and labels its loss
    reads), scores the model with the trainer's evaluator before and after, measures time
    and peak memory, saves the trained model and appends one ledger record. Nothing is
    recorded when the block raises.

    >>> with recorded_run(trainer, notebook="02_softmax_loss", recipe="softmax",
    ...                   profile=profile) as run:
    ...     trainer.train()
    >>> run.result.untrained, run.result.trained

    ``target_evaluator`` (a second evaluation: a target domain, pair classification) is scored
    before and after too and recorded as ``untrained_target`` / ``trained_target``.

    Launched several times over (``torchrun``, ``accelerate launch``), each process trains
    its share; the processes score together, and only the main process saves and records
    (the others' ``result`` has empty scores and record).
    """

    def __init__(
        self,
        trainer: SentenceTransformerTrainer,
        *,
        notebook: str,
        recipe: str,
        profile: Profile,
        evaluator=None,
        target_evaluator=None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        if not isinstance(trainer, SentenceTransformerTrainer):
            raise InputError(
                f"recorded_run needs a SentenceTransformerTrainer, not a "
                f"{type(trainer).__name__}; build one with SentenceTransformerTrainer(model=..., "
                "args=..., train_dataset=..., loss=..., evaluator=...)"
            )
        self.extra = check_run_inputs(
            notebook=notebook,
            recipe=recipe,
            profile=profile,
            model=trainer.model,
            extra=extra,
            where="recorded_run",
            allowed=frozenset() if target_evaluator is not None else TARGET_FIELDS,
        )
        _check_model(trainer.model, "recorded_run")
        check_evaluator(evaluator, "evaluator")
        check_evaluator(target_evaluator, "target_evaluator")
        if isinstance(trainer.loss, nn.Module):  # labels and scores in the loss's range
            trainer.train_dataset = check_loss_data(trainer.loss, trainer.train_dataset)
        self.target_evaluator = target_evaluator
        self.trainer, self.notebook, self.profile = trainer, notebook, profile
        self.evaluator = evaluator or trainer.evaluator or stsb_evaluator()
        self.result: RunResult | None = None
        _warn_if_standin(profile, trainer.model)
        self._model_dir = model_folder(notebook, recipe, profile, trainer.model)  # checked now
        self._recipe = recipe

    def __enter__(self) -> recorded_run:
        use_progress_line(self.trainer)  # in a notebook: one line, not the trainer's table
        self._untrained = _scores_before(self.trainer.model, self.evaluator)
        if self.target_evaluator is not None:
            self.extra["untrained_target"] = (
                _scores_before(self.trainer.model, self.target_evaluator)
                if isinstance(self.target_evaluator, EmbeddingSimilarityEvaluator)
                else _target_before(self.trainer.model, self.target_evaluator)
            )
        self._peak = PeakMemory().__enter__()
        self._start = time.perf_counter()
        return self

    def __exit__(self, error_type, error, traceback) -> bool:
        seconds = time.perf_counter() - self._start
        self._peak.__exit__(error_type, error, traceback)
        if error_type is not None:
            return False  # a failed run is not recorded
        trainer, args = self.trainer, self.trainer.args
        if self.target_evaluator is not None:
            self.extra["trained_target"] = _evaluate_shared(
                trainer.model, self.target_evaluator, pick=target_scores
            )
        self.result = RunResult(
            recipe=self._recipe,
            untrained=self._untrained,
            trained=(
                _scores_at_end(trainer.state.log_history, trainer.state.global_step, self.evaluator)
                or _evaluate_shared(trainer.model, self.evaluator)
            ),
            seconds=round(seconds, 1),
            peak_memory_mb=round(self._peak.mb, 1),
            steps=trainer.state.global_step,
            model_path=str(self._model_dir),
            history=list(trainer.state.log_history),
            model=trainer.model,
        )
        if not is_main_process():
            wait_for_everyone()  # until the main process has saved and recorded
            return False
        _save_and_record(
            self.result,
            notebook=self.notebook,
            profile=self.profile,
            n_train=len(trainer.train_dataset),
            epochs=args.num_train_epochs,
            batch_size=args.per_device_train_batch_size,
            learning_rate=args.learning_rate,
            world_size=world_size(),
            **_rate_mapping(args),
            **self.extra,
        )
        wait_for_everyone()
        free_memory()
        return False


def _rate_mapping(args: SentenceTransformerTrainingArguments) -> dict[str, Any]:
    """``{"learning_rate_mapping": ...}`` for the ledger when some parameters learn at their
    own rate (SoftmaxLoss's head), else ``{}``."""
    mapping = dict(args.learning_rate_mapping or {})
    return {"learning_rate_mapping": mapping} if mapping else {}


def _scores_at_end(history: list[dict[str, Any]], steps: int, evaluator) -> dict[str, float]:
    """The scores the trainer's own evaluation gave at the last step (it evaluates when
    training ends), so the trained model is not scored twice; ``{}`` when it did not, or
    under a launcher (there the main process scores while the others help encode)."""
    if world_size() > 1:
        return {}
    for entry in reversed(history):
        if entry.get("step") == steps and f"eval_{evaluator.name}_spearman_cosine" in entry:
            scores = sts_scores(entry, evaluator.name)
            return scores if len(scores) == len(SCORE_KEYS) else {}
    return {}


def _scores_before(model: SentenceTransformer, evaluator) -> dict[str, float]:
    """The untrained scores: remembered by the model's weights (the seeds of a recipe start
    from the same model), scored in parallel under a launcher."""
    if world_size() > 1:
        return _evaluate_shared(model, evaluator)
    return scores_before_training(model, evaluator)


def _target_before(model: SentenceTransformer, evaluator) -> dict[str, float]:
    """The untrained target scores, remembered like :func:`_scores_before` (the arms of a
    comparison start from the same model and score it on the same pairs)."""
    if world_size() > 1:
        return _evaluate_shared(model, evaluator, pick=target_scores)
    return target_scores(metrics_before_training(model, evaluator), evaluator.name)


def target_scores(metrics: dict[str, float], name: str) -> dict[str, float]:
    """What a target evaluation records: Spearman and Pearson on cosine when it reports them
    (an STS evaluator), else each of its cosine metrics (``cosine_ap``, ``cosine_f1``...)."""
    picked = sts_scores(metrics, name)
    if picked:
        return picked
    prefix = f"{name}_cosine_"
    return {
        key.removeprefix(f"{name}_"): round(float(value), 4)
        for key, value in metrics.items()
        if key.startswith(prefix) and isinstance(value, int | float)
    }


def _evaluate_shared(model: SentenceTransformer, evaluator, *, pick=sts_scores) -> dict[str, float]:
    """STS-B scores (or what ``pick`` takes from the evaluator's metrics); under a launcher
    the main process scores while the others help encode (they get ``{}``)."""
    with distributed_evaluation(model) as runs_here:
        return pick(evaluator(model), evaluator.name) if runs_here else {}


def record_evaluation(
    *,
    notebook: str,
    recipe: str,
    model: SentenceTransformer,
    profile: Profile,
    evaluator=None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Score a model without training it (e.g. a pretrained one) and record it in the ledger.

    ``untrained`` and ``trained`` are the same scores; ``n_train`` and ``seconds`` are 0.
    """
    extra = check_run_inputs(
        notebook=notebook,
        recipe=recipe,
        profile=profile,
        model=model,
        extra=extra,
        where="record_evaluation",
    )
    check_evaluator(evaluator, "evaluator")
    evaluator = evaluator or stsb_evaluator()
    scores = evaluate_sts(model, evaluator)
    record = _ledger_record(
        notebook,
        recipe,
        model,
        profile,
        n_train=0,
        steps=0,
        seconds=0.0,
        peak_memory_mb=0.0,
        untrained=scores,
        trained=scores,
        model_path="",
        **extra,
    )
    record_run(record)
    return record


def record_cross_encoder(**fields: Any) -> dict[str, Any]:
    """Write a cross-encoder's ledger record (recipe ``cross-encoder``, key ``accuracy``).

    Takes the keywords of :func:`embedlab.methods.augmentation.cross_encoder_record`
    (``notebook``, ``profile``, ``base_name``, ``n_train``, ``report``, ``info``,
    ``settings``), which builds the record; returns the record written.
    """
    from ..methods.augmentation import cross_encoder_record  # sklearn & co. only when needed

    record = cross_encoder_record(**fields)
    record_run(record)
    return record
