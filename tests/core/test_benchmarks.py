import embedlab as el
from embedlab.benchmarks import pair_classification_evaluator, retrieval_evaluator


def _held_out():
    _, held = el.data.split_by_premise(
        el.load_nli("mnli", "validation_matched", n_rows=900), 60, seed=1
    )
    return held


def test_pair_classification_uses_entailment_and_contradiction_only():
    held = _held_out()
    evaluator = pair_classification_evaluator(held)
    expected = sum(1 for label in held["label"] if label in (0, 2))
    assert len(evaluator.labels) == expected
    assert set(evaluator.labels) == {0, 1}


def test_retrieval_marks_entailed_hypotheses_relevant():
    held = _held_out()
    evaluator = retrieval_evaluator(held)
    for qid, docs in evaluator.relevant_docs.items():
        premise = evaluator.queries[evaluator.queries_ids.index(qid)]
        for doc in docs:
            hypothesis = evaluator.corpus[evaluator.corpus_ids.index(doc)]
            rows = [r for r in held if r["premise"] == premise and r["hypothesis"] == hypothesis]
            assert rows and rows[0]["label"] == 0


def test_in_depth_evaluation_offline_runs_the_suite_and_explains_mteb(standin):
    report = el.benchmarks.in_depth_evaluation(standin, _held_out())
    assert set(report.scores) == {
        "sts (spearman)",
        "nli pairs (avg. precision)",
        "nli retrieval (ndcg@10)",
    }
    assert all(0 <= v <= 1 for k, v in report.scores.items() if "spearman" not in k)
    assert any("MTEB" in note and "not reachable" in note for note in report.notes)
