"""MultipleNegativesRankingLoss, whole or in groups: the recipe cells of notebooks/04_mnr_loss_and_hard_negatives.ipynb.

Copied from the cells marked #@save by `embedlab-export-recipes`; edit the notebook,
not this file (the unit tests fail while the two differ).
"""

from sentence_transformers import SentenceTransformerTrainer
from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

from embedlab.batching import NoDuplicatesLengthGroupedBatchSampler
from embedlab.recipes.softmax import training_args  # notebook 02's


def mnr_trainer(
    model,
    train_dataset,
    profile,
    evaluator,
    loss=MultipleNegativesRankingLoss,
    output_dir="checkpoints/mnr",
):
    """MultipleNegativesRankingLoss (or `loss(model)`) on (anchor, positive[, negative]) rows,
    in batches without a repeated text; `trainer.train()` trains `model`."""
    args = training_args(
        profile,
        output_dir,
        batch_sampler=NoDuplicatesLengthGroupedBatchSampler,  # no text twice; similar lengths
    )
    return SentenceTransformerTrainer(
        model=model,
        args=args,
        train_dataset=train_dataset,  # anchor, positive[, negative]
        loss=loss(model),  # scale=20.0: the scores are 20 x cosine
        evaluator=evaluator,  # scored every eval_steps while training
    )


import torch
from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss


class GroupedMNRLoss(MultipleNegativesRankingLoss):
    """MNR within groups of `group_size` rows: each anchor's candidates are its group's
    positives and negatives only."""

    def __init__(self, model, group_size: int):
        super().__init__(model)
        self.group_size = group_size

    def compute_loss_from_embeddings(self, embeddings, labels):
        losses = []
        for group in zip(*(column.split(self.group_size) for column in embeddings)):
            losses.append(super().compute_loss_from_embeddings(list(group), labels))
        return torch.stack(losses).mean()
