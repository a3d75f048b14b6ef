"""CosineSimilarityLoss and CoSENTLoss on scored pairs: the recipe cells of notebooks/03_cosine_similarity_loss.ipynb.

Copied from the cells marked #@save by `embedlab-export-recipes`; edit the notebook,
not this file (the unit tests fail while the two differ).
"""

from sentence_transformers import SentenceTransformerTrainer
from sentence_transformers.sentence_transformer.losses import CosineSimilarityLoss

from embedlab.recipes.softmax import training_args  # notebook 02's, unchanged


def cosine_trainer(
    model,
    train_dataset,
    profile,
    evaluator,
    loss=CosineSimilarityLoss,
    output_dir="checkpoints/cosine",
):
    """A loss on (sentence1, sentence2, score) rows, CosineSimilarityLoss by default, scored by
    `evaluator` while it trains; `trainer.train()` trains `model`."""
    return SentenceTransformerTrainer(
        model=model,
        args=training_args(profile, output_dir),
        train_dataset=train_dataset,  # sentence1, sentence2, score
        loss=loss(model),
        evaluator=evaluator,  # scored every eval_steps while training
    )
