"""In-depth evaluation beyond STS-B: MTEB when the Hub is reachable, else a small offline suite.

The offline suite uses the library's own evaluators on data we have:

- **sts**: STS-B validation, Spearman on cosine (``EmbeddingSimilarityEvaluator``);
- **pair classification**: does cosine separate entailment from contradiction pairs of held-out
  MNLI validation premises? Average precision (``BinaryClassificationEvaluator``);
- **retrieval**: for each held-out premise, find its entailed hypothesis among all held-out
  hypotheses. nDCG@10 (``InformationRetrievalEvaluator``).

>>> report = in_depth_evaluation(model, held_out)       # held_out: MNLI rows never trained on
>>> report.scores, report.notes
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from datasets import Dataset
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.evaluation import (
    BinaryClassificationEvaluator,
    InformationRetrievalEvaluator,
)

from .data import require_columns, require_nli_labels
from .evaluation import stsb_evaluator
from .sources import hub_reachable

__all__ = [
    "EvaluationReport",
    "pair_classification_evaluator",
    "retrieval_evaluator",
    "in_depth_evaluation",
    "mteb_score",
]

log = logging.getLogger(__name__)
MTEB_TASK = "Banking77Classification.v2"


@dataclass
class EvaluationReport:
    """Scores by task name, and a note for each task that was skipped or replaced."""

    scores: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def pair_classification_evaluator(held_out: Dataset) -> BinaryClassificationEvaluator:
    """Entailment (1) vs contradiction (0) pairs; neutral rows are left out."""
    require_columns(held_out, ["premise", "hypothesis", "label"])
    require_nli_labels(held_out)
    rows = [
        (p, h, 1 if label == 0 else 0)
        for p, h, label in zip(
            held_out["premise"], held_out["hypothesis"], held_out["label"], strict=True
        )
        if label in (0, 2)
    ]
    return BinaryClassificationEvaluator(
        sentences1=[r[0] for r in rows],
        sentences2=[r[1] for r in rows],
        labels=[r[2] for r in rows],
        name="nli-pairs",
        similarity_fn_names=["cosine"],
        write_csv=False,
    )


def retrieval_evaluator(
    held_out: Dataset, *, truncate_dim: int | None = None
) -> InformationRetrievalEvaluator:
    """Premises as queries, every hypothesis as the corpus, the entailed ones as relevant;
    ``truncate_dim`` scores only the first that many numbers of each vector."""
    require_columns(held_out, ["premise", "hypothesis", "label"])
    corpus = {f"d{i}": h for i, h in enumerate(dict.fromkeys(held_out["hypothesis"]))}
    doc_id = {text: key for key, text in corpus.items()}
    queries: dict[str, str] = {}
    relevant: dict[str, set[str]] = {}
    query_id: dict[str, str] = {}
    for premise, hypothesis, label in zip(
        held_out["premise"], held_out["hypothesis"], held_out["label"], strict=True
    ):
        if label != 0:
            continue
        key = query_id.setdefault(premise, f"q{len(query_id)}")
        queries[key] = premise
        relevant.setdefault(key, set()).add(doc_id[hypothesis])
    return InformationRetrievalEvaluator(
        queries=queries,
        corpus=corpus,
        relevant_docs=relevant,
        name="nli-retrieval" if truncate_dim is None else f"nli-retrieval-{truncate_dim}d",
        truncate_dim=truncate_dim,
        mrr_at_k=[10],
        ndcg_at_k=[10],
        accuracy_at_k=[1],
        precision_recall_at_k=[10],
        map_at_k=[10],
        write_csv=False,
    )


def mteb_score(model: SentenceTransformer, task: str = MTEB_TASK) -> tuple[float | None, str]:
    """``model``'s main score on the MTEB task ``task``, or ``None`` and why it was skipped.

    No result cache: mteb's default cache keys a result by the model card's name and revision,
    which embedlab's models share ("SentenceTransformer based on ..."), so a second model
    would be handed the first one's score. Each call evaluates.
    """
    if not hub_reachable():
        return (
            None,
            f"MTEB {task} skipped: it downloads its data from the Hub, which is not reachable.",
        )
    try:
        import mteb
    except ImportError:
        return (
            None,
            f"MTEB {task} skipped: the mteb package is not installed (pip install 'mteb>=2').",
        )
    try:
        tasks = mteb.get_tasks(tasks=[task])
        result = mteb.evaluate(model, tasks=tasks, cache=None, show_progress_bar=False)
        score = float(result.task_results[0].get_score())
        return score, f"MTEB {task}: {tasks[0].metadata.main_score}."
    except Exception as error:  # a benchmark download or API change must not end the lesson
        log.warning("MTEB failed: %s", error)
        return None, f"MTEB {task} skipped: it failed with {type(error).__name__}: {error}"


def in_depth_evaluation(
    model: SentenceTransformer, held_out: Dataset, *, use_mteb: bool = True
) -> EvaluationReport:
    """Score ``model`` on several tasks; ``held_out`` must be NLI rows it was not trained on."""
    report = EvaluationReport()
    report.scores["sts (spearman)"] = round(stsb_evaluator()(model)["sts-dev_spearman_cosine"], 4)
    pairs = pair_classification_evaluator(held_out)(model)
    report.scores["nli pairs (avg. precision)"] = round(pairs["nli-pairs_cosine_ap"], 4)
    retrieval = retrieval_evaluator(held_out)(model)
    report.scores["nli retrieval (ndcg@10)"] = round(retrieval["nli-retrieval_cosine_ndcg@10"], 4)
    if use_mteb:
        score, note = mteb_score(model)
        if score is not None:
            report.scores[f"mteb {MTEB_TASK} (accuracy)"] = round(score, 4)
        report.notes.append(note)
    return report
