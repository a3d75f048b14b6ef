"""What a reader sees without running anything: the stored notebooks, as GitHub or nbviewer
show them. Each notebook writes the library code it teaches, and its stored outputs hold no
errors, warnings, progress-bar fragments or widgets without a static picture."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
WIDGET = "application/vnd.jupyter.widget-view+json"
STATIC = ("image/png", "image/svg+xml", "text/html")

# the sentence-transformers code each notebook writes in its own code cells (issue 12), each
# piece once, where it is taught; a later notebook calls the earlier one's #@save recipe
# (embedlab.recipes) instead of writing it again (issue "One home for each recipe")
TAUGHT = {
    "02": (
        "SoftmaxLoss(",
        "EmbeddingSimilarityEvaluator(",
        "SentenceTransformerTrainingArguments(",
        "SentenceTransformerTrainer(",
        "LengthGroupedBatchSampler",
        "learning_rate_mapping=",
    ),
    "03": ("CosineSimilarityLoss", "CoSENTLoss", "SentenceTransformerTrainer(", "training_args("),
    "04": (
        "MultipleNegativesRankingLoss",
        "NoDuplicatesLengthGroupedBatchSampler",
        "SentenceTransformerTrainer(",
        "mine_hard_negatives(",
    ),
    "05": ("mnr_trainer(",),
    "06": ("CrossEncoderTrainer(", "CrossEncoder(", "CrossEncoderTrainingArguments(", ".predict("),
    "07": ("DenoisingAutoEncoderLoss(", "SentenceTransformerTrainer(", "mnr_trainer("),
    "08": ("MatryoshkaLoss(", "truncate_dim=", "truncate_embeddings(", "mnr_trainer("),
    "09": (
        "StaticEmbedding(",
        "matryoshka_mnr(",
        "distill(",
        "quantize_embeddings(",
        "SentenceTransformerTrainer(",
        "SentenceTransformerTrainingArguments(",
        "EmbeddingSimilarityEvaluator(",
    ),
}
# what a stored output must not hold, and why
FORBIDDEN = {
    "Traceback": "an error",
    "Warning": "a warning",
    "0%|": "a progress-bar fragment",
    "No log": "an empty trainer-table column",
    "Loading widget": "a widget placeholder",
}


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def _texts(output: dict) -> list[str]:
    """Every text a static viewer may show for ``output``."""
    if "text" in output:
        return ["".join(output["text"])]
    data = output.get("data", {})
    return [
        "".join(v) if isinstance(v, list) else str(v)
        for k, v in data.items()
        if k.startswith("text/")
    ]


@pytest.mark.parametrize(
    "path", [p for p in NOTEBOOKS if p.name[:2] in TAUGHT], ids=lambda p: p.stem
)
def test_notebook_writes_the_sentence_transformers_code_it_teaches(path):
    code = "\n".join("".join(c["source"]) for c in _cells(path) if c["cell_type"] == "code")
    code = re.sub(r"#.*", "", code)  # a comment that names a call is not the call
    missing = [call for call in TAUGHT[path.name[:2]] if call not in code]
    assert not missing, f"{path.name} does not write {missing} in a code cell"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_outputs_are_clean(path):
    problems = []
    for i, cell in enumerate(_cells(path)):
        if cell["cell_type"] != "code":
            continue
        if cell.get("execution_count") is None:
            problems.append(f"cell {i} was never run: the stored notebook is not a full run")
        for output in cell.get("outputs", []):
            if output["output_type"] == "error":
                problems.append(f"cell {i} stores an error ({output.get('ename')})")
            if output.get("name") == "stderr":
                problems.append(f"cell {i} stores text written to stderr")
            for text in _texts(output):
                problems += [
                    f"cell {i} stores {why} ({word!r})"
                    for word, why in FORBIDDEN.items()
                    if word in text
                ]
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_widget_has_a_static_picture_beside_it(path):
    bare = []
    for i, cell in enumerate(_cells(path)):
        outputs = cell.get("outputs", []) if cell["cell_type"] == "code" else []
        kinds = {k for o in outputs for k in o.get("data", {})}
        if WIDGET in kinds and not kinds.intersection(STATIC):
            bare.append(i)
    assert not bare, f"{path.name}: widget cells {bare} store no image or HTML for a static view"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_check_cells_hide_their_code(path):
    shown = [
        i
        for i, c in enumerate(_cells(path))
        if c["cell_type"] == "code"
        and "NBVAL_CHECK_OUTPUT" in "".join(c["source"])
        and not (
            c["metadata"].get("jupyter", {}).get("source_hidden")
            and "hide-input" in c["metadata"].get("tags", [])
        )
    ]
    assert not shown, f"{path.name}: check cells {shown} show their test code in the lesson"
