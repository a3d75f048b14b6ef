"""Exercises that check themselves: one checker per exercise at the end of each notebook.

A learner writes the answer in the notebook's skeleton cell and calls the checker on it::

    def cosine(u, v):
        ...  # your code here

    el.exercises.check_cosine(cosine)   # ✏️ not attempted yet / ❌ not yet + hint / ✅ passed

Every checker returns a :class:`CheckResult` (``passed``, ``message``, ``verdict``) and never
raises on a wrong answer. :data:`EXERCISES` lists the checkers of each notebook; the worked
answers are in ``notebooks/solutions/``.

Adding an exercise: write ``check_<name>(answer) -> success message`` in the notebook's module
(``nbNN_<topic>.py``), decorate it with ``@exercise("NN_<notebook stem>")``, raise
:class:`Wrong` with a hint for each way the answer can be wrong, and import it here.
"""

from __future__ import annotations

from ._core import EXERCISES, CheckResult, NotAttempted, Wrong, exercise, is_placeholder
from .nb00_pretraining import check_mask_tokens, check_masked_lm_loss
from .nb01_contrastive import check_cosine, check_most_similar_pair, check_sentiment_triplets
from .nb02_softmax import check_mean_pooling, check_nli_label_mapping, check_softmax_features
from .nb03_cosine import (
    check_cosent_loss,
    check_cosine_similarity_loss,
    check_similarity_target,
    check_training_script,
)
from .nb04_mnr import check_hard_negative_triplets, check_mnr_loss, check_semi_hard_pick
from .nb05_finetuning import check_average_precision, check_spearman
from .nb06_augsbert import check_gold_plus_silver, check_pairs_to_label
from .nb07_tsdae import check_deletion_noise, check_unlabelled_sentences
from .nb09_static import check_binary_quantize, check_static_encode

__all__ = [
    "EXERCISES",
    "CheckResult",
    "NotAttempted",
    "Wrong",
    "exercise",
    "is_placeholder",
    "check_masked_lm_loss",
    "check_mask_tokens",
    "check_cosine",
    "check_most_similar_pair",
    "check_sentiment_triplets",
    "check_nli_label_mapping",
    "check_mean_pooling",
    "check_softmax_features",
    "check_similarity_target",
    "check_cosine_similarity_loss",
    "check_cosent_loss",
    "check_training_script",
    "check_mnr_loss",
    "check_hard_negative_triplets",
    "check_semi_hard_pick",
    "check_spearman",
    "check_average_precision",
    "check_unlabelled_sentences",
    "check_deletion_noise",
    "check_pairs_to_label",
    "check_gold_plus_silver",
    "check_static_encode",
    "check_binary_quantize",
]
