"""TSDAE: DenoisingAutoEncoderLoss and its trainer: the recipe cells of notebooks/07_tsdae_domain_adaptation.ipynb.

Copied from the cells marked #@save by `embedlab-export-recipes`; edit the notebook,
not this file (the unit tests fail while the two differ).
"""

from dataclasses import dataclass

from embedlab.settings import profile_scale


@dataclass(frozen=True)
class TSDAESettings:
    """TSDAE at one scale: the sentence vector's pooling, how many unlabelled sentences it
    rebuilds, and the training settings that differ from the profile's."""

    pooling: str  # "cls": the [CLS] token's output; "mean": the mean of all token outputs
    n_sentences: int
    epochs: int
    batch_size: int
    learning_rate: float

    @classmethod
    def of(cls, profile):
        """The settings for `profile`'s scale: QUICK or FULL below."""
        return TSDAE_QUICK if profile_scale(profile) == "quick" else TSDAE_FULL

    def training_profile(self, profile):
        """`profile` with these epochs, batch size and learning rate."""
        return profile.with_changes(
            epochs=self.epochs, batch_size=self.batch_size, learning_rate=self.learning_rate
        )


# The TSDAE paper's recipe for bert-base ([CLS], lr 3e-5; batch 8 there, 16 here as in the
# book) on the sentences of the book's 25,000 rows.
TSDAE_FULL = TSDAESettings("cls", 25_000, epochs=1, batch_size=16, learning_rate=3e-5)
# Measured on embedlab's 4-layer base (seed 42, SNLI captions, STS-B validation): [CLS]
# pooling fell at every learning rate tried (0.488 -> 0.44-0.46 at 1e-4 to 5e-4, over 250 to
# 1,200 steps), while mean pooling rose (0.492 -> 0.513 at 1e-4, 0.530 at 3e-4); 1e-4 left
# the better start for the supervised stage (captions 0.513 against 0.497 at 3e-4). With
# length-grouped batches: 1e-4 0.523 on 8,000 sentences (74 s); on 4,000 (35 s) 2e-4 0.531
# and 3e-4 0.536; 2e-4 then MNLI's supervised stage: captions 0.517.
TSDAE_QUICK = TSDAESettings("mean", 4_000, epochs=1, batch_size=16, learning_rate=2e-4)


from sentence_transformers.sentence_transformer.losses import DenoisingAutoEncoderLoss
from transformers import set_seed


def tsdae_loss(model, seed):
    """TSDAE's loss: a decoder tied to `model` rebuilds each sentence from its one vector;
    its new cross-attention weights are drawn with `seed`."""
    set_seed(seed)
    loss = DenoisingAutoEncoderLoss(
        model,
        decoder_name_or_path=None,  # None: the decoder is built from the encoder's checkpoint
        tie_encoder_decoder=True,  # encoder and decoder share their weights
    )
    return loss.to(model.device)  # tying builds the decoder on the CPU


from sentence_transformers import SentenceTransformerTrainer

from embedlab.recipes.softmax import training_args  # notebook 02's


def tsdae_trainer(model, train_dataset, profile, evaluator, output_dir="checkpoints/tsdae"):
    """TSDAE on (damaged, original) rows, at the epochs, batch size and learning rate of
    `profile`; `trainer.train()` trains `model`, and `trainer.loss` holds the decoder."""
    return SentenceTransformerTrainer(
        model=model,
        args=training_args(profile, output_dir),
        train_dataset=train_dataset,  # damaged, original
        loss=tsdae_loss(model, profile.seed),
        evaluator=evaluator,  # scored every eval_steps while training
    )
