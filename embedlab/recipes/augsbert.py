"""Augmented SBERT's teacher: a cross-encoder on gold pairs: the recipe cells of notebooks/06_augmented_sbert.ipynb.

Copied from the cells marked #@save by `embedlab-export-recipes`; edit the notebook,
not this file (the unit tests fail while the two differ).
"""

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
    (sentence1, sentence2, score 0 or 1) at `settings` (epochs, batch_size, learning_rate,
    max_length); `trainer.train()` trains it, and `trainer.model` is the teacher."""
    set_seed(profile.seed)  # the new head's random start
    cross_encoder = CrossEncoder(base, num_labels=1, max_length=settings["max_length"])
    mixed = precision()  # "fp16", "bf16" or "fp32" (no mixed precision)
    args = CrossEncoderTrainingArguments(
        output_dir=output_dir,  # checkpoints would go here (none kept)
        num_train_epochs=settings["epochs"],  # the teacher's own settings, not the profile's
        per_device_train_batch_size=settings["batch_size"],  # pairs per step
        learning_rate=settings["learning_rate"],
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
