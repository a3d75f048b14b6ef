"""MatryoshkaLoss over MNR, at chosen sizes: the recipe cells of notebooks/08_matryoshka_embeddings.ipynb.

Copied from the cells marked #@save by `embedlab-export-recipes`; edit the notebook,
not this file (the unit tests fail while the two differ).
"""

from sentence_transformers.sentence_transformer.losses import (
    MatryoshkaLoss,
    MultipleNegativesRankingLoss,
)


def matryoshka_mnr(model, dims):
    """MNR on the whole vector and on its first `d` numbers for each `d` in `dims`, added
    with weight 1 each; `dims` starts with the model's full size."""
    return MatryoshkaLoss(model, MultipleNegativesRankingLoss(model), matryoshka_dims=dims)
