import os
import tempfile

import pytest
import torch
from sentence_transformers import SentenceTransformer

import embedlab as el
from embedlab.evaluation import evaluate_sts, stsb_evaluator
from embedlab.training.ledger import REQUIRED_KEYS

TINY = el.profiles.QUICK.with_changes(eval_steps=5, warmup_steps=0)


def _train_small(train):
    """Ten MNR steps of a fresh stand-in on 400 MNLI rows, scored on 300 STS-B pairs, through
    notebook 04's mnr_trainer in recorded_run."""
    model = el.load_base_model(TINY)
    mnli = el.load_nli("mnli", "train", n_rows=400)
    return train(
        model,
        el.data.mnr_triplets(mnli),
        TINY,
        notebook="test_notebook",
        recipe="mnr-soft",
        max_steps=10,
    )


@pytest.fixture()
def small_run(train_recorded):
    return _train_small(train_recorded)


def test_a_recorded_run_trains_scores_saves_and_records(small_run):
    assert small_run.steps == 10
    assert small_run.trained != small_run.untrained
    record = el.training.ledger.read_ledger()[-1]
    assert set(REQUIRED_KEYS) <= set(record)
    assert record["load_average"] >= 0 and record["cores"] == os.cpu_count()  # comparable times?
    assert record["recipe"] == "mnr-soft" and record["profile"] == "quick"
    assert record["n_train"] == len(el.data.mnr_triplets(el.load_nli("mnli", "train", n_rows=400)))
    assert record["model_path"].endswith("test_notebook--mnr-soft--quick--seed42")
    reloaded = SentenceTransformer(record["model_path"])
    assert reloaded.encode(["hello"]).shape == (1, 128)
    assert small_run.peak_memory_mb > 0 and small_run.seconds > 0


def test_evaluation_runs_during_training(small_run):
    evals = [h for h in small_run.history if "eval_sts-dev_spearman_cosine" in h]
    assert [h["step"] for h in evals] == [5, 10]


def _count_calls(evaluator) -> list[int]:
    """Make ``evaluator`` append to the returned list each time it is called."""
    calls, plain = [], type(evaluator)
    evaluator.__class__ = type(
        "Counted",
        (plain,),
        {"__call__": lambda self, *a, **k: calls.append(1) or plain.__call__(self, *a, **k)},
    )
    return calls


def test_the_trained_model_is_scored_once_by_the_trainers_last_evaluation(train_recorded):
    """recorded_run takes the trainer's evaluation at the last step instead of scoring again;
    the score is the one a fresh evaluation gives. At 7 steps with eval_steps 5 the trainer
    evaluates at steps 5 and 7 (the end), so the evaluator runs 1 + 2 times, not 4."""
    evaluator = stsb_evaluator(rows=list(range(300)))
    calls = _count_calls(evaluator)
    result = train_recorded(
        el.load_base_model(TINY),
        el.data.mnr_triplets(el.load_nli("mnli", "train", n_rows=400)),
        TINY,
        evaluator=evaluator,
        max_steps=7,
    )
    assert [h["step"] for h in result.history if "eval_sts-dev_spearman_cosine" in h] == [5, 7]
    assert len(calls) == 3
    assert result.trained == evaluate_sts(result.model, stsb_evaluator(rows=list(range(300))))


def test_same_seed_same_score(small_run, train_recorded):
    assert _train_small(train_recorded).trained == small_run.trained


def test_wrong_columns_for_the_loss_are_named(standin, train_recorded):
    from embedlab.recipes.softmax import softmax_trainer

    pairs = el.data.cosine_pairs(el.load_nli("mnli", "train", n_rows=20))
    with pytest.raises(
        el.errors.InputError,
        match=r"SoftmaxLoss reads two sentence columns and a 'label' column; the dataset has "
        r"\['sentence1', 'sentence2', 'score'\]",
    ):
        train_recorded(standin, pairs, TINY, trainer=softmax_trainer)
    with pytest.raises(el.errors.InputError, match=r"has a 'score' column"):
        train_recorded(standin, pairs, TINY)  # MNR would read the scores as labels
    assert el.training.ledger.read_ledger() == []


def _plain_trainer(steps: int = 10):
    """The run of ``_train_small``, written out the way a notebook writes it."""
    from sentence_transformers import SentenceTransformerTrainer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    from embedlab.batching import NoDuplicatesLengthGroupedBatchSampler
    from embedlab.recipes.softmax import training_args

    model = el.load_base_model(TINY)
    train_dataset = el.data.mnr_triplets(el.load_nli("mnli", "train", n_rows=400))
    evaluator = stsb_evaluator(rows=list(range(300)))
    args = training_args(
        TINY,
        tempfile.mkdtemp(prefix="embedlab-test-"),
        batch_sampler=NoDuplicatesLengthGroupedBatchSampler,
    )
    args.max_steps = steps
    return SentenceTransformerTrainer(
        model=model,
        args=args,
        train_dataset=train_dataset,
        loss=MultipleNegativesRankingLoss(model),
        evaluator=evaluator,
    )


def test_a_trainer_written_out_records_the_same_run_as_the_recipe_function(small_run):
    trainer = _plain_trainer()
    with el.recorded_run(trainer, notebook="test_notebook", recipe="plain", profile=TINY) as run:
        trainer.train()
    result = run.result
    assert result.steps == 10 and result.untrained == small_run.untrained
    assert result.trained == small_run.trained  # the same run as mnr_trainer's, the same score
    record = el.training.ledger.read_ledger()[-1]
    assert set(REQUIRED_KEYS) <= set(record)
    assert record["recipe"] == "plain" and record["n_train"] == small_run.record["n_train"]
    assert record["batch_size"] == TINY.batch_size and record["steps"] == 10
    assert SentenceTransformer(record["model_path"]).encode(["hi"]).shape == (1, 128)


def test_recorded_run_records_nothing_when_training_fails():
    trainer = _plain_trainer(steps=1)
    before = len(el.training.ledger.read_ledger())
    with pytest.raises(RuntimeError, match="stopped"):
        with el.recorded_run(trainer, notebook="t", recipe="broken", profile=TINY):
            raise RuntimeError("stopped by the learner")
    assert len(el.training.ledger.read_ledger()) == before


def test_recorded_run_wants_a_trainer():
    with pytest.raises(el.errors.InputError, match="SentenceTransformerTrainer"):
        el.recorded_run("trainer", notebook="t", recipe="r", profile=TINY)


def test_untrained_scores_are_remembered_by_the_models_weights(standin):
    """The seeds of a recipe start from the same model: its score is computed once. Any
    change to a weight, or another evaluator, scores afresh."""
    from embedlab.evaluation import scores_before_training

    evaluator = stsb_evaluator(rows=list(range(200)))
    calls = _count_calls(evaluator)
    first = scores_before_training(el.load_base_model(TINY), evaluator)
    again = scores_before_training(el.load_base_model(TINY), evaluator)  # a fresh copy
    assert (
        first
        == again
        == evaluate_sts(el.load_base_model(TINY), stsb_evaluator(rows=list(range(200))))
    )
    assert len(calls) == 1
    changed = el.load_base_model(TINY)
    with torch.no_grad():
        next(changed.parameters())[0, 0] += 1.0
    scores_before_training(changed, evaluator)
    assert len(calls) == 2
    other = scores_before_training(el.load_base_model(TINY), stsb_evaluator(rows=list(range(100))))
    assert other != first


def test_untrained_pair_classification_is_remembered_too(standin):
    """Notebook 05's arms start from the same model and score it on the same held-out pairs
    (a BinaryClassificationEvaluator): the first arm scores it, the second reads it back;
    other labels score afresh."""
    from sentence_transformers.sentence_transformer.evaluation import (
        BinaryClassificationEvaluator,
    )

    from embedlab.evaluation import metrics_before_training

    def pairs(labels):
        return BinaryClassificationEvaluator(
            ["a man sleeps", "a dog runs", "it rains", "she reads"],
            ["a man is asleep", "a cat sits", "the sun shines", "she is reading"],
            labels,
            name="pairs",
            similarity_fn_names=["cosine"],  # as el.benchmarks.pair_classification_evaluator
            write_csv=False,
        )

    evaluator = pairs([1, 0, 0, 1])
    calls = _count_calls(evaluator)
    first = metrics_before_training(el.load_base_model(TINY), evaluator)
    again = metrics_before_training(el.load_base_model(TINY), evaluator)
    assert first == again and "pairs_cosine_ap" in first
    assert len(calls) == 1
    flipped = metrics_before_training(el.load_base_model(TINY), pairs([0, 1, 1, 0]))
    assert flipped["pairs_cosine_ap"] != first["pairs_cosine_ap"]


def test_softmax_head_learns_at_its_own_rate_and_the_ledger_says_so(standin, train_recorded):
    """SoftmaxLoss's new classifier takes profile.head_learning_rate (learning_rate_mapping);
    the encoder keeps the profile's learning rate."""
    from embedlab.recipes.softmax import softmax_trainer, training_args

    args = training_args(TINY, "unused", head_learning_rate=1e-3)
    assert args.learning_rate_mapping == {r"^classifier\.": 1e-3}
    assert training_args(TINY, "unused").learning_rate_mapping == {}
    with pytest.raises(el.errors.InputError, match="head_learning_rate=2"):
        TINY.with_changes(head_learning_rate=2)
    pairs = el.data.nli_pairs(el.load_nli("mnli", "train", n_rows=40))
    run = train_recorded(
        el.load_base_model(TINY),
        pairs,
        TINY,
        trainer=softmax_trainer,
        evaluator=stsb_evaluator(rows=list(range(50))),
        max_steps=2,
    )
    assert run.record["learning_rate_mapping"] == {r"^classifier\.": TINY.head_learning_rate}
    assert run.record["learning_rate"] == TINY.learning_rate != TINY.head_learning_rate


def test_recorded_run_scores_and_records_a_target_evaluator():
    captions = stsb_evaluator(genre="main-captions")
    trainer = _plain_trainer(steps=3)
    with el.recorded_run(
        trainer, notebook="t", recipe="target", profile=TINY, target_evaluator=captions
    ) as run:
        trainer.train()
    record = run.result.record
    assert set(record["untrained_target"]) == {"spearman_cosine", "pearson_cosine"}
    assert record["trained_target"] != record["untrained_target"]
    assert record["trained_target"] == evaluate_sts(trainer.model, captions)
    with pytest.raises(el.errors.InputError, match="untrained_target"):
        el.recorded_run(
            _plain_trainer(steps=1),
            notebook="t",
            recipe="target",
            profile=TINY,
            target_evaluator=captions,
            extra={"untrained_target": {"spearman_cosine": 0.5}},
        )
