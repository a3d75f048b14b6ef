"""The settings for fine-tuning a pretrained model: the recipe cells of notebooks/05_finetuning_pretrained.ipynb.

Copied from the cells marked #@save by `embedlab-export-recipes`; edit the notebook,
not this file (the unit tests fail while the two differ).
"""


def finetune_settings(profile):
    """`profile` with the settings for fine-tuning a pretrained sentence model."""
    return profile.with_changes(
        learning_rate=5e-5,  # the trainer's default, as the book (the quick base's 1e-3 would wreck it)
        epochs=1,  # as the book
        warmup_steps=min(profile.warmup_steps, 10),  # short warm-up: the model is already trained
    )
