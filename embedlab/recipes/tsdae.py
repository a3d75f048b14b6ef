"""TSDAE: DenoisingAutoEncoderLoss and its trainer: the recipe cells of notebooks/07_tsdae_domain_adaptation.ipynb.

Copied from the cells marked #@save by `embedlab-export-recipes`; edit the notebook,
not this file (the unit tests fail while the two differ).
"""

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
