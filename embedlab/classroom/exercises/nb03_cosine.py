"""Checkers for notebook 03: NLI labels as similarity targets, CosineSimilarityLoss, CoSENTLoss.

>>> check_similarity_target(lambda label: 1.0 if label == 0 else 0.0)
✅ similarity target: passed. ...
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from sentence_transformers.sentence_transformer.losses import CoSENTLoss, CosineSimilarityLoss

from ...data import NLI_LABELS
from ._core import NotAttempted, Wrong, as_number, call, check_loss, close, exercise

__all__ = [
    "check_similarity_target",
    "check_cosine_similarity_loss",
    "check_cosent_loss",
    "check_training_script",
]

NOTEBOOK = "03_cosine_similarity_loss"
_TARGETS = {0: 1.0, 1: 0.0, 2: 0.0}  # the book's mapping: entailment similar, the rest not


@exercise(NOTEBOOK)
def check_similarity_target(fn: Callable) -> str:
    """Check ``fn(label) -> float``: the CosineSimilarityLoss target of an NLI label."""
    for label, want in _TARGETS.items():
        name = NLI_LABELS[label]
        got = as_number(call(fn, label, on=f"for label {label} ({name})"), "your function")
        if not close(got, want):
            hint = f"label {label} ({name}) should give {want}, you gave {got:g}."
            if label == 0:
                hint += " An entailed hypothesis says the same as its premise: the pair is similar."
            elif got > 0:
                hint += " The book's mapping is all or nothing: only entailment counts as similar."
            raise Wrong(hint)
    return (
        "Entailment 1.0, neutral and contradiction 0.0, as el.cosine_pairs does. Apply it with "
        "dataset.map(lambda row: {'score': similarity_target(row['label'])})."
    )


def _pairs(seed: int, b: int, d: int, *, graded: bool) -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(seed)
    u, v = torch.randn(b, d, generator=generator), torch.randn(b, d, generator=generator)
    if graded:  # STS-like scores in steps of 0.2, with ties
        targets = torch.randint(0, 6, (b,), generator=generator).float() / 5
    else:
        targets = torch.randint(0, 2, (b,), generator=generator).float()
    return u, v, targets


def _case(seed: int, b: int, d: int, *, graded: bool, **kwargs: float) -> tuple:
    scale = f" with scale={kwargs['scale']:g}" if "scale" in kwargs else ""
    targets = "graded" if graded else "0/1"
    description = f"on {b} random pairs of {d}-number embeddings, {targets} targets{scale},"
    return _pairs(seed, b, d, graded=graded), kwargs, description


def _cosine_reference(u, v, targets):
    return CosineSimilarityLoss(None).compute_loss_from_embeddings([u, v], targets)


def _cosine_variants(u, v, targets):
    cos = torch.nn.functional.cosine_similarity(u, v)
    return [
        ((cos - targets).abs().mean(), "Square the errors: the loss is the mean *squared* error."),
        (
            ((cos - targets) ** 2).sum(),
            "Average the squared errors over the pairs (mean, not sum).",
        ),
        (
            ((cos - targets) ** 2).mean().sqrt(),
            "No square root: the loss is the mean squared error itself.",
        ),
        (
            (((u * v).sum(1)) - targets).pow(2).mean(),
            "Use the cosine of u and v, not their dot product.",
        ),
    ]


@exercise(NOTEBOOK)
def check_cosine_similarity_loss(fn: Callable) -> str:
    """Check ``fn(u, v, targets) -> loss``: the mean squared error between cos(u, v) and targets."""
    cases = [_case(5, 4, 8, graded=False), _case(6, 16, 32, graded=True)]
    check_loss(fn, cases, _cosine_reference, _cosine_variants)
    return (
        "Matches sentence-transformers' CosineSimilarityLoss (MSE between cos(u, v) and the "
        "target) on 0/1 and graded targets, and gradients flow back to the embeddings."
    )


def _cosent_reference(u, v, targets, scale=20.0):
    return CoSENTLoss(None, scale=scale).compute_loss_from_embeddings([u, v], targets)


def _cosent_variants(u, v, targets, scale=20.0):
    cos = torch.nn.functional.cosine_similarity(u, v) * scale
    diff = cos[None, :] - cos[:, None]  # diff[i, j] = cos_j - cos_i
    later = targets[:, None] > targets[None, :]  # target_i > target_j
    ties = targets[:, None] >= targets[None, :]
    ties = ties & ~torch.eye(len(targets), dtype=torch.bool)
    unscaled = torch.nn.functional.cosine_similarity(u, v)
    return [
        (
            torch.logsumexp(torch.cat([torch.zeros(1, dtype=u.dtype), -diff[later]]), 0),
            "The sign is flipped: penalise cos_j − cos_i when target_i > target_j (pair j should score lower).",
        ),
        (
            torch.logsumexp(diff[later], 0),
            "Add a zero to the terms: the loss is log(1 + Σ exp(...)), which is never negative.",
        ),
        (
            torch.logsumexp(torch.cat([torch.zeros(1, dtype=u.dtype), diff[ties]]), 0),
            "Pairs with equal targets must not be compared: use target_i > target_j, not >=.",
        ),
        (
            torch.logsumexp(
                torch.cat(
                    [torch.zeros(1, dtype=u.dtype), (unscaled[None, :] - unscaled[:, None])[later]]
                ),
                0,
            ),
            "Multiply the cosines by scale before taking differences.",
        ),
        (_cosent_reference(u, v, targets, 20.0), "Use the scale argument rather than a fixed 20."),
    ]


@exercise(NOTEBOOK, "CoSENT loss")
def check_cosent_loss(fn: Callable) -> str:
    """Check ``fn(u, v, targets, scale=20.0) -> loss``: CoSENT's log(1 + Σ exp(s·(cos_j − cos_i)))."""
    cases = [
        _case(7, 4, 8, graded=True, scale=20.0),
        _case(8, 16, 32, graded=True, scale=20.0),
        _case(9, 6, 8, graded=False, scale=5.0),
    ]
    check_loss(fn, cases, _cosent_reference, _cosent_variants)
    return (
        "Matches sentence-transformers' CoSENTLoss at scale 20 and 5, with tied targets, and "
        "gradients flow. Only the order of the cosines matters to it, as to Spearman."
    )


SCRIPT_ROWS, SCRIPT_EVAL_PAIRS = 160, 200  # a run of 10 steps at batch 16: seconds on a CPU


def _setting(args, name: str, want, hint: str) -> None:
    got = getattr(args, name, None)
    got = getattr(got, "value", got)  # enums such as SaveStrategy.NO -> "no"
    same = got == want
    if isinstance(want, float) and isinstance(got, (int, float)):
        same = math.isclose(got, want, rel_tol=1e-6)
    if not same:
        raise Wrong(
            f"the training arguments have {name}={got!r}; the exercise asks for {want!r} ({hint})."
        )


@exercise(NOTEBOOK, "the training script", seconds=120)
def check_training_script(build_trainer: Callable) -> str:
    """Check ``build_trainer(model, train_dataset, evaluator, output_dir)``: it assembles
    loss, arguments and trainer; the checker trains ten steps and sees the score move."""
    import tempfile
    import warnings

    from sentence_transformers import SentenceTransformerTrainer
    from transformers.trainer_callback import PrinterCallback, ProgressCallback
    from transformers.utils.notebook import NotebookProgressCallback

    from ...data import cosine_pairs, load_nli
    from ...evaluation import evaluate_sts, stsb_evaluator
    from ...models import load_base_model
    from ...profiles import QUICK

    model = load_base_model(QUICK)
    train_dataset = cosine_pairs(load_nli("mnli", "train", n_rows=SCRIPT_ROWS))
    evaluator = stsb_evaluator(rows=list(range(SCRIPT_EVAL_PAIRS)))
    with (
        tempfile.TemporaryDirectory(prefix="embedlab-exercise-") as output_dir,
        warnings.catch_warnings(),
    ):
        # a CPU cannot pin memory: not the learner's concern, whether the checker or their
        # own function (which should not) calls train()
        warnings.filterwarnings("ignore", message=".*pin_memory.*")
        trainer = call(
            build_trainer,
            model,
            train_dataset,
            evaluator,
            output_dir,
            on="on a base model and 160 MNLI pairs",
        )
        if trainer is None:
            raise NotAttempted("Your function returns None: build the trainer and return it.")
        if not isinstance(trainer, SentenceTransformerTrainer):
            raise Wrong(
                f"return the trainer itself (a SentenceTransformerTrainer), not a "
                f"{type(trainer).__name__}; do not call trainer.train() yourself."
            )
        if trainer.model is not model:
            raise Wrong(
                "the trainer trains another model: pass model=model, the one you were given."
            )
        if not isinstance(trainer.loss, CosineSimilarityLoss):
            raise Wrong(
                f"the loss is a {type(trainer.loss).__name__}; build "
                "CosineSimilarityLoss(model) and pass it as loss=..."
            )
        if trainer.evaluator is not evaluator:
            raise Wrong(
                "pass the evaluator you were given as evaluator=..., so the trainer can score STS-B."
            )
        if trainer.train_dataset is None or len(trainer.train_dataset) != len(train_dataset):
            raise Wrong("pass the training pairs you were given as train_dataset=...")
        args = trainer.args
        _setting(args, "per_device_train_batch_size", 16, "batches of 16 pairs")
        _setting(args, "learning_rate", 1e-4, "learning rate 1e-4")
        _setting(args, "num_train_epochs", 1, "one pass over the pairs")
        _setting(args, "save_strategy", "no", "no checkpoints")
        _setting(args, "eval_strategy", "steps", "score during training, every few steps")
        _setting(args, "eval_steps", 5, "every 5 steps")
        for shown in (PrinterCallback, ProgressCallback, NotebookProgressCallback):
            trainer.remove_callback(shown)  # the verdict is the output: no bars, no log lines
        before = evaluate_sts(model, evaluator)["spearman_cosine"]
        trainer.train()
        after = evaluate_sts(model, evaluator)["spearman_cosine"]
    steps = trainer.state.global_step
    if steps == 0 or after == before:
        raise Wrong(
            f"training ran {steps} steps and the score did not move ({before:.4f}); "
            "check the learning rate and that the loss is given the model."
        )
    return (
        f"Your script trained {steps} steps: STS-B Spearman on {SCRIPT_EVAL_PAIRS} validation "
        f"pairs went from {before:.4f} to {after:.4f}. Loss, arguments, trainer, train(): "
        "that is the whole recipe, as the notebook's cosine_trainer writes it."
    )
