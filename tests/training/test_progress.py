from types import SimpleNamespace

from sentence_transformers import SentenceTransformerTrainer
from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
from transformers.trainer_callback import ProgressCallback
from transformers.utils.notebook import NotebookProgressCallback

import embedlab as el
from embedlab.recipes.softmax import training_args
from embedlab.training.progress import ProgressLine, use_progress_line


def test_progress_line_shows_step_loss_and_last_sts_score(monkeypatch):
    shown = []
    monkeypatch.setattr(
        ProgressLine,
        "_show",
        lambda self, state, force=False: shown.append(
            self.line(state.global_step, state.max_steps)
        ),
    )
    line, state = ProgressLine(), SimpleNamespace(global_step=0, max_steps=376)
    line.on_train_begin(None, state, None)
    state.global_step = 100
    line.on_log(None, state, None, logs={"loss": 0.91234, "learning_rate": 1e-4})
    line.on_evaluate(None, state, None, metrics={"eval_sts-dev_spearman_cosine": 0.5491})
    assert shown[0].startswith("training: step 0/376")
    assert "step 100/376" in shown[-1] and "loss 0.912" in shown[-1]
    assert "STS-B 0.549 (step 100)" in shown[-1] and "No log" not in shown[-1]


def _trainer(model):
    args = training_args(el.profiles.QUICK, "unused")  # notebook 02's
    args.max_steps, args.eval_strategy = 1, "no"
    dataset = el.data.mnr_triplets(el.load_nli("mnli", "train", n_rows=50))
    return SentenceTransformerTrainer(
        model=model, args=args, train_dataset=dataset, loss=MultipleNegativesRankingLoss(model)
    )


def test_a_notebooks_progress_table_becomes_one_line_and_a_scripts_bar_stays(standin):
    trainer = _trainer(standin)
    kinds = lambda: [type(c) for c in trainer.callback_handler.callbacks]  # noqa: E731
    trainer.remove_callback(ProgressCallback)
    trainer.add_callback(NotebookProgressCallback)  # as the trainer does in a notebook
    use_progress_line(trainer)
    use_progress_line(trainer)  # twice: still one line
    assert NotebookProgressCallback not in kinds() and kinds().count(ProgressLine) == 1
    script = _trainer(standin)
    before = [type(c) for c in script.callback_handler.callbacks]
    use_progress_line(script)
    assert [type(c) for c in script.callback_handler.callbacks] == before
