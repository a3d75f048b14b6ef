"""One home for each recipe: the package's recipe modules are the notebooks' #@save cells.

``embedlab-export-recipes`` copies every code cell whose first line is ``#@save`` into
``embedlab/recipes/<name>.py``; these tests fail while a module and its cells differ, and
check that a copied cell only defines (importing a recipe trains nothing).
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess

import pytest
from datasets import Dataset
from sentence_transformers import SentenceTransformerTrainer

from embedlab.profiles import QUICK
from embedlab_tools.export_recipes import (
    EXPORTS,
    MARKER,
    NOTEBOOKS,
    main,
    marked_cells,
    module_path,
    module_text,
    stale_modules,
)

DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef, ast.Assign, ast.AnnAssign)


def test_every_recipe_module_is_a_copy_of_its_notebooks_marked_cells():
    assert stale_modules() == [], (
        "run embedlab-export-recipes (python -m embedlab_tools.export_recipes)"
    )
    assert main(["--check"]) == 0


@pytest.mark.parametrize("notebook", sorted(EXPORTS))
def test_each_exporting_notebook_marks_at_least_one_cell(notebook):
    cells = marked_cells(NOTEBOOKS / f"{notebook}.ipynb")
    assert cells and all(cell.strip() for cell in cells)


def test_a_one_character_edit_of_a_marked_cell_makes_the_module_stale():
    notebook = NOTEBOOKS / "02_softmax_loss.ipynb"
    name, what = EXPORTS["02_softmax_loss"]
    cells = marked_cells(notebook)
    (loss_cell,) = [i for i, cell in enumerate(cells) if "num_labels=3" in cell]
    edited = [*cells]
    edited[loss_cell] = cells[loss_cell].replace("num_labels=3", "num_labels=4", 1)
    assert edited != cells
    on_disk = module_path(name).read_text(encoding="utf-8")
    assert module_text(notebook, what, cells) == on_disk
    assert module_text(notebook, what, edited) != on_disk


def test_the_check_names_a_module_that_differs(tmp_path, monkeypatch, capsys):
    import embedlab_tools.export_recipes as export

    notebook = json.loads((NOTEBOOKS / "03_cosine_similarity_loss.ipynb").read_text())
    for cell in notebook["cells"]:
        if "".join(cell["source"]).startswith(MARKER):
            cell["source"] = "".join(cell["source"]).replace("score", "scores", 1)
            break
    (tmp_path / "03_cosine_similarity_loss.ipynb").write_text(json.dumps(notebook))
    monkeypatch.setattr(export, "NOTEBOOKS", tmp_path)
    monkeypatch.setattr(
        export, "EXPORTS", {"03_cosine_similarity_loss": EXPORTS["03_cosine_similarity_loss"]}
    )
    assert export.main(["--check"]) == 1
    assert "embedlab/recipes/cosine.py" in capsys.readouterr().err


@pytest.mark.parametrize("notebook", sorted(EXPORTS))
def test_a_marked_cell_only_imports_and_defines(notebook):
    for cell in marked_cells(NOTEBOOKS / f"{notebook}.ipynb"):
        for node in ast.parse(cell).body:
            is_docstring = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            assert isinstance(node, DEFINITIONS) or is_docstring, (
                f"{notebook}: a #@save cell runs {ast.unparse(node)[:60]!r} when imported; "
                "move it to the next cell"
            )


def test_the_copied_recipes_build_the_notebooks_trainers(tmp_path):
    from embedlab.evaluation import stsb_evaluator
    from embedlab.models import load_base_model
    from embedlab.recipes.cosine import cosine_trainer
    from embedlab.recipes.softmax import softmax_trainer

    pairs = Dataset.from_dict(
        {"sentence1": ["a cat", "a dog"], "sentence2": ["a pet", "a car"], "label": [0, 2]}
    )
    profile = QUICK.with_changes(head_learning_rate=3e-3)
    evaluator = stsb_evaluator(rows=range(10))
    trainer = softmax_trainer(
        load_base_model(profile), pairs, profile, evaluator, output_dir=str(tmp_path)
    )
    assert isinstance(trainer, SentenceTransformerTrainer)
    assert trainer.args.learning_rate == profile.learning_rate
    assert trainer.args.learning_rate_mapping == {r"^classifier\.": 3e-3}
    assert type(trainer.loss).__name__ == "SoftmaxLoss" and trainer.loss.num_labels == 3
    scored = pairs.rename_column("label", "score").map(lambda row: {"score": 1.0})
    trainer = cosine_trainer(
        load_base_model(profile), scored, profile, evaluator, output_dir=str(tmp_path)
    )
    assert type(trainer.loss).__name__ == "CosineSimilarityLoss"
    assert trainer.args.learning_rate_mapping == {}


def test_the_copied_modules_are_ruff_clean():
    """The cells are written in the package's style, so their copies need no reformatting."""
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (pip install -e '.[dev]')")
    paths = [str(module_path(name)) for name, _ in EXPORTS.values()]
    checked = subprocess.run(
        [ruff, "format", "--check", "--diff", *paths], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    linted = subprocess.run([ruff, "check", *paths], capture_output=True, text=True)
    assert linted.returncode == 0, linted.stdout


def _defined_names(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:  # a cell with IPython magics (%pip) defines no recipe
        return set()
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.ClassDef)}


def test_no_notebook_writes_a_second_copy_of_a_saved_recipe():
    """A function or class saved from one notebook is defined there once, and nowhere else:
    later notebooks import it from embedlab.recipes."""
    saved: dict[str, str] = {}
    for notebook in EXPORTS:
        for cell in marked_cells(NOTEBOOKS / f"{notebook}.ipynb"):
            for name in _defined_names(cell):
                assert name not in saved, f"{name} is saved by {saved[name]} and {notebook}"
                saved[name] = notebook
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for cell in cells:
            source = "".join(cell["source"])
            if cell["cell_type"] != "code" or source.startswith(MARKER):
                continue
            again = _defined_names(source) & set(saved)
            assert not again, f"{path.stem} defines {sorted(again)} again; import it instead"
