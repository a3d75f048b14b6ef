import pytest

from embedlab.errors import InputError
from embedlab.evaluation import evaluate_sts, sts_scores, stsb_evaluator


def test_evaluate_sts_returns_both_correlations(standin):
    scores = evaluate_sts(standin, stsb_evaluator(rows=list(range(200))))
    assert set(scores) == {"spearman_cosine", "pearson_cosine"}
    assert all(-1 <= v <= 1 for v in scores.values())
    assert scores["spearman_cosine"] > 0.3  # the stand-in already ranks pairs above chance


def test_sts_scores_reads_prefixed_keys():
    metrics = {"eval_sts-dev_spearman_cosine": 0.51234, "eval_sts-dev_pearson_cosine": 0.4}
    assert sts_scores(metrics) == {"spearman_cosine": 0.5123, "pearson_cosine": 0.4}


def test_genre_evaluator_keeps_only_that_genre():
    captions = stsb_evaluator(genre="main-captions")
    assert captions.name == "sts-main-captions"
    assert 0 < len(captions.sentences1) < 1500
    with pytest.raises(InputError, match="unknown STS-B genre"):
        stsb_evaluator(genre="poetry")
