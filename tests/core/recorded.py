"""One short recorded run for the storage and artefact tests (imported by both)."""

from __future__ import annotations

import tempfile

import embedlab as el
from embedlab.evaluation import stsb_evaluator
from embedlab.recipes.cosine import cosine_trainer

TINY = el.profiles.QUICK.with_changes(warmup_steps=0)


def one_cosine_step(standin, after_training=None, **names):
    """One step of notebook 03's cosine trainer on 16 pairs, recorded as ``t`` / ``cosine``
    (``names`` change that); ``after_training()`` runs once the step is taken, before the
    model is saved. The trainer's scratch folder is a temporary one outside the test's."""
    pairs = el.data.cosine_pairs(el.load_nli("mnli", "train", n_rows=16))
    with tempfile.TemporaryDirectory() as scratch:
        evaluator = stsb_evaluator(rows=list(range(16)))
        trainer = cosine_trainer(standin, pairs, TINY, evaluator, output_dir=scratch)
        trainer.args.max_steps = 1
        names = {"notebook": "t", "recipe": "cosine", **names}
        with el.recorded_run(trainer, profile=TINY, **names) as run:
            trainer.train()
            if after_training is not None:
                after_training()
    return run.result
