"""Copy the recipe cells of the notebooks into the package: one home for each recipe.

A notebook writes a recipe once, in plain sentence-transformers code, in the cell that teaches
it, and marks that cell with the first line ``#@save`` (d2l's convention). This command copies
the marked cells of each notebook, in order, into one module of ``embedlab/recipes/``, where
later notebooks, the knob panels and the reference command import them. The cell is the
source: edit the notebook, then run this; ``--check`` (and the unit tests) fail while a module
and its notebook differ.

    embedlab-export-recipes            # write embedlab/recipes/<name>.py
    embedlab-export-recipes --check    # exit 1, naming each module that differs
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
RECIPES = REPO / "embedlab" / "recipes"
MARKER = "#@save"

# notebook -> (module in embedlab/recipes/, what it holds); a module per notebook that exports
EXPORTS: dict[str, tuple[str, str]] = {
    "02_softmax_loss": ("softmax", "SoftmaxLoss on NLI pairs, and the training arguments"),
    "03_cosine_similarity_loss": ("cosine", "CosineSimilarityLoss and CoSENTLoss on scored pairs"),
    "04_mnr_loss_and_hard_negatives": ("mnr", "MultipleNegativesRankingLoss, whole or in groups"),
    "05_finetuning_pretrained": ("finetune", "The settings for fine-tuning a pretrained model"),
    "06_augmented_sbert": ("augsbert", "Augmented SBERT: the bi-encoder's recipe and the teacher"),
    "07_tsdae_domain_adaptation": ("tsdae", "TSDAE: DenoisingAutoEncoderLoss and its trainer"),
    "08_matryoshka_embeddings": ("matryoshka", "MatryoshkaLoss over MNR, at chosen sizes"),
}


def marked_cells(notebook: Path) -> list[str]:
    """The source of each code cell of ``notebook`` whose first line is the marker, without it."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    sources = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    return [
        s.split("\n", 1)[1].strip("\n") if "\n" in s else ""
        for s in sources
        if s.split("\n", 1)[0].strip() == MARKER
    ]


def module_text(notebook: Path, what: str, cells: list[str] | None = None) -> str:
    """The module that ``notebook``'s marked cells make (``cells`` instead of the file's)."""
    body = "\n\n\n".join(marked_cells(notebook) if cells is None else cells)
    # a module that opens with a function or class takes two blank lines after its docstring
    gap = "\n\n\n" if body.startswith(("def ", "class ", "@")) else "\n\n"
    header = (
        f'"""{what}: the recipe cells of notebooks/{notebook.name}.\n\n'
        "Copied from the cells marked #@save by `embedlab-export-recipes`; edit the notebook,\n"
        "not this file (the unit tests fail while the two differ).\n"
        '"""' + gap
    )
    return header + body + "\n"


def module_path(name: str) -> Path:
    """Where the module called ``name`` lives."""
    return RECIPES / f"{name}.py"


def stale_modules() -> list[str]:
    """The modules that differ from their notebooks' marked cells."""
    stale = []
    for notebook, (name, what) in EXPORTS.items():
        path = module_path(name)
        expected = module_text(NOTEBOOKS / f"{notebook}.ipynb", what)
        if not path.exists() or path.read_text(encoding="utf-8") != expected:
            stale.append(f"{path.relative_to(REPO)} (from notebooks/{notebook}.ipynb)")
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="embedlab-export-recipes", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--check", action="store_true", help="only check; exit 1 when stale")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_modules()
        for line in stale:
            print(f"differs from its notebook: {line}", file=sys.stderr)
        if stale:
            print("run embedlab-export-recipes to copy the cells again", file=sys.stderr)
        return 1 if stale else 0
    for notebook, (name, what) in EXPORTS.items():
        path = module_path(name)
        path.write_text(module_text(NOTEBOOKS / f"{notebook}.ipynb", what), encoding="utf-8")
        print(f"notebooks/{notebook}.ipynb -> {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
