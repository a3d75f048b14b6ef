"""Scale profiles: *quick* (a CPU in minutes) and *full* (the book's scale on a GPU).

One switch chooses: the ``profile`` argument, else the ``EMBEDLAB_PROFILE`` environment
variable, else ``full`` when a CUDA GPU is present and ``quick`` otherwise.

>>> profile = get_profile("quick")
>>> profile.n_train
39664
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

import torch

from .errors import InputError
from .settings import check_setting

__all__ = ["Profile", "QUICK", "FULL", "PROFILES", "get_profile", "device_name", "precision"]

PROFILE_ENV = "EMBEDLAB_PROFILE"
STANDIN = "standin"  # marker: the tiny BERT that embedlab builds itself (see models.py)


@dataclass(frozen=True)
class Profile:
    """Every setting that changes between a CPU laptop and the book's GPU runs."""

    name: str  # "quick" or "full"
    base_model: str  # encoder the loss notebooks start from ("standin" = embedlab's tiny BERT)
    pretrained_model: str  # trained sentence model (notebooks 01, 04, 05)
    n_train: int  # MNLI train rows used by the loss recipes (book: first 50,000)
    epochs: int  # passes over the training data (book: 1)
    batch_size: int  # pairs per step (book: 32)
    learning_rate: float  # AdamW peak learning rate (book: library default 5e-5)
    head_learning_rate: float  # SoftmaxLoss's new classifier head (book: the same as the encoder)
    warmup_steps: int  # linear warm-up steps (book: 100)
    max_seq_length: int  # tokens per sentence; longer ones are cut
    eval_steps: int  # evaluate on STS-B validation every this many steps during training
    umap_points: int  # sentences drawn in a UMAP plot
    seed: int = 42  # one seed for data sampling, initialisation and training
    train_splits: tuple[str, ...] = ("mnli/train",)  # labelled NLI rows the recipes train on

    def with_changes(self, **changes: object) -> Profile:
        """Return a copy with some settings changed, checked for range."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise InputError(
                f"unknown profile setting(s) {sorted(unknown)}; "
                f"known: {[f.name for f in dataclasses.fields(self)]}"
            )
        checked = {key: check_setting(key, value) for key, value in changes.items()}
        new = dataclasses.replace(self, **checked)  # type: ignore[arg-type]
        new.validate()
        return new

    def validate(self) -> None:
        """Raise :class:`InputError` when a setting is out of range (see :mod:`.settings`)."""
        for f in dataclasses.fields(self):
            check_setting(f.name, getattr(self, f.name))


QUICK = Profile(
    name="quick",
    base_model=STANDIN,  # book: bert-base-uncased; here embedlab's masked-LM BERT (notebook 00)
    pretrained_model="sentence-transformers/all-MiniLM-L6-v2",
    n_train=39_664,  # book: 50,000 MNLI rows; here every labelled row of train_splits offline
    epochs=1,  # as the book
    batch_size=32,  # as the book
    learning_rate=1e-4,  # book: 5e-5; measured best of 5e-5 / 1e-4 / 2e-4 / 1e-3 for cosine
    # the classifier starts from random weights, the encoder from pre-training: at the
    # encoder's 1e-4 SoftmaxLoss left the base lower (0.492 -> 0.474, seed 42), at 1e-3 for the
    # head it lifted it (0.558); notebook 02 shows both
    head_learning_rate=1e-3,
    warmup_steps=100,  # as the book
    max_seq_length=64,  # MNLI and STS-B sentences rarely need more
    eval_steps=250,  # a few evaluations per run
    umap_points=600,  # enough to see structure, quick to fit
    # SNLI + MultiNLI, the original SBERT paper's training data: the offline MNLI sample alone
    # (9,999 rows) is too little for CosineSimilarityLoss to lift a small masked-LM base
    train_splits=("mnli/train", "snli/train", "snli/validation", "snli/test"),
)

FULL = Profile(
    name="full",
    base_model="bert-base-uncased",  # as the book
    pretrained_model="sentence-transformers/all-MiniLM-L6-v2",
    n_train=50_000,  # as the book: the first 50,000 rows of MNLI train
    epochs=1,  # as the book
    batch_size=32,  # as the book
    learning_rate=5e-5,  # the trainer's default, which the book keeps
    head_learning_rate=5e-5,  # as the book: one learning rate for everything
    warmup_steps=100,  # as the book
    max_seq_length=128,  # covers nearly every NLI sentence
    eval_steps=100,  # as the book's (intended) evaluation interval
    umap_points=2_000,
)

PROFILES = {p.name: p for p in (QUICK, FULL)}


def device_name() -> str:
    """The device torch will train on: ``"cuda"``, ``"mps"`` or ``"cpu"``."""
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def precision() -> str:
    """Mixed precision the device supports: ``"bf16"``, ``"fp16"`` or ``"fp32"`` (none).

    bf16 only where the GPU computes it natively (compute capability 8 or more: A100, L4,
    H100). A T4 (7.5) answers ``torch.cuda.is_bf16_supported()`` with True because torch can
    emulate bf16 there, but emulated bf16 is slow; such GPUs get fp16, as in the book.
    """
    if device_name() != "cuda":
        return "fp32"
    major, _minor = torch.cuda.get_device_capability()
    native_bf16 = major >= 8 and torch.cuda.is_bf16_supported(including_emulation=False)
    return "bf16" if native_bf16 else "fp16"


def get_profile(name: str | None = None) -> Profile:
    """Choose the profile: ``name``, else ``$EMBEDLAB_PROFILE``, else by the hardware.

    Args:
        name: ``"quick"``, ``"full"`` or ``None`` for the automatic choice.

    Returns:
        The chosen :class:`Profile`.
    """
    chosen = name or os.environ.get(PROFILE_ENV) or ("full" if device_name() == "cuda" else "quick")
    chosen = chosen.strip().lower()
    if chosen not in PROFILES:
        raise InputError(
            f"unknown profile {chosen!r}; choose one of {sorted(PROFILES)} "
            f"(argument or the {PROFILE_ENV} environment variable)"
        )
    return PROFILES[chosen]
