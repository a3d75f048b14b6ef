"""Augmented SBERT: the bi-encoder's recipe and the teacher: the recipe cells of notebooks/06_augmented_sbert.ipynb.

Copied from the cells marked #@save by `embedlab-export-recipes`; edit the notebook,
not this file (the unit tests fail while the two differ).
"""

from embedlab.recipes.cosine import cosine_trainer  # notebook 03's recipe: the book's loss
from embedlab.recipes.mnr import mnr_trainer  # notebook 04's recipe
from embedlab.settings import profile_scale


def bi_encoder_recipe(profile):
    """The bi-encoder's loss on gold + silver and its trainer: quick: "mnr" on the positive
    pairs (mnr_trainer); full: the book's "cosine" on the 0/1 scores (cosine_trainer)."""
    return ("mnr", mnr_trainer) if profile_scale(profile) == "quick" else ("cosine", cosine_trainer)


from dataclasses import dataclass


@dataclass(frozen=True)
class TeacherSettings:
    """The cross-encoder's training settings at one scale."""

    epochs: int
    learning_rate: float
    batch_size: int  # pairs per step
    max_length: int  # tokens of the two sentences together

    @classmethod
    def of(cls, profile):
        """The settings for `profile`'s scale: TEACHER_QUICK or TEACHER_FULL."""
        return TEACHER_QUICK if profile_scale(profile) == "quick" else TEACHER_FULL


TEACHER_FULL = TeacherSettings(epochs=1, learning_rate=2e-5, batch_size=16, max_length=128)  # book
# all-MiniLM-L6-v2's body on 2,000 gold pairs of the quick profile's NLI rows, 1,000 held
# back, length-grouped batches, two cores. Measured when choosing (accuracy, ROC AUC,
# seconds): 2 epochs of 32 at 1.5e-4: 0.787, 0.866, 75 s (taken: a notebook
# cell stays under 90 s); 2 epochs of 16 at 1e-4: 0.793, 0.855, 84 s; 3 epochs of 16 at 5e-5:
# 0.823, 0.884, 133 s (random batches: 0.817, 0.868, 199 s); 2 epochs of 16 at 2e-4: 0.762,
# 0.792; one epoch at 5e-5, 1e-4 or 2e-4 predicted no positive
TEACHER_QUICK = TeacherSettings(epochs=2, learning_rate=1.5e-4, batch_size=32, max_length=64)


import torch
from sentence_transformers.cross_encoder import (
    CrossEncoder,
    CrossEncoderTrainer,
    CrossEncoderTrainingArguments,
)
from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss
from transformers import set_seed

from embedlab.batching import LengthGroupedBatchSampler
from embedlab.profiles import precision


def teacher_trainer(base, gold, profile, settings, output_dir="checkpoints/cross-encoder"):
    """A cross-encoder on `base`'s body, trained by binary cross-entropy on gold pairs
    (sentence1, sentence2, score 0 or 1) at `settings` (a TeacherSettings);
    `trainer.train()` trains it, and `trainer.model` is the teacher."""
    set_seed(profile.seed)  # the new head's random start
    cross_encoder = CrossEncoder(base, num_labels=1, max_length=settings.max_length)
    mixed = precision()  # "fp16", "bf16" or "fp32" (no mixed precision)
    args = CrossEncoderTrainingArguments(
        output_dir=output_dir,  # checkpoints would go here (none kept)
        num_train_epochs=settings.epochs,  # the teacher's own settings, not the profile's
        per_device_train_batch_size=settings.batch_size,  # pairs per step
        learning_rate=settings.learning_rate,
        warmup_steps=min(profile.warmup_steps, 10),  # a short warm-up
        fp16=mixed == "fp16",  # mixed precision where the GPU has it
        bf16=mixed == "bf16",
        save_strategy="no",  # no checkpoints: the teacher stays in memory
        report_to="none",
        seed=profile.seed,  # the head's dropout...
        data_seed=profile.seed,  # ...and the order of the gold pairs
        disable_tqdm=False,
        logging_steps=50,
        batch_sampler=LengthGroupedBatchSampler,  # pairs of similar length (notebook 02)
        dataloader_pin_memory=torch.cuda.is_available(),
    )
    cross_encoder.model_card_data.widget = [{"text": "placeholder"}]  # no card-example search
    return CrossEncoderTrainer(
        model=cross_encoder,
        args=args,
        train_dataset=gold.select_columns(["sentence1", "sentence2", "score"]),
        loss=BinaryCrossEntropyLoss(cross_encoder),
    )
