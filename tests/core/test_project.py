"""The project's files agree with each other: dependencies, notebooks, CI."""

from __future__ import annotations

import importlib.util
import re
import sys
import tomllib
import types
from pathlib import Path

import nbformat
import pytest
import yaml

import embedlab
from embedlab_tools import colab

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = REPO / "notebooks" / "solutions"
CHECKER_CALL = re.compile(r"el\.exercises\.(check_\w+)\(")


def _name(requirement: str) -> str:
    return re.split(r"[<>=\[ ]", requirement, maxsplit=1)[0].lower()


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["dev"]
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    listed = [r for r in pip_section if not r.startswith("-e")]
    assert sorted(listed) == sorted(wanted)


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 2


ALL_NOTEBOOKS = NOTEBOOKS + sorted(SOLUTIONS.glob("*.ipynb"))


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_opens_with_the_badge_and_set_up_cell_of_repo_url(path):
    assert colab.colab_cells_problems(path, REPO) == []
    assert f'REPO_URL = "{embedlab.REPO_URL}"' in nbformat.read(path, as_version=4).cells[1].source


def _run_set_up_cell(monkeypatch, *, installed: bool, loaded_pyarrow: str | None) -> tuple:
    """Run the set-up cell in IPython as on Colab; (lines given to %pip, what it printed)."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    shell = InteractiveShell.instance()
    pip_lines: list[str] = []
    shell.register_magic_function(pip_lines.append, magic_kind="line", magic_name="pip")
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    if loaded_pyarrow is not None:  # Colab's pandas imported an older pyarrow at start
        monkeypatch.setitem(
            sys.modules, "pyarrow", types.SimpleNamespace(__version__=loaded_pyarrow)
        )
    found = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: (
            (object() if installed else None) if name == "embedlab" else found(name, *a)
        ),
    )
    with capture_output() as shown:
        result = shell.run_cell(colab.setup_cell())
    assert result.success, result.error_in_exec
    return pip_lines, shown.stdout


def test_set_up_cell_installs_once_and_says_when_to_restart(monkeypatch):
    pip_lines, printed = _run_set_up_cell(monkeypatch, installed=False, loaded_pyarrow=None)
    assert pip_lines == [f'install -q "embedlab @ git+{embedlab.REPO_URL}"'] and printed == ""
    pip_lines, printed = _run_set_up_cell(monkeypatch, installed=True, loaded_pyarrow="0.1")
    assert pip_lines == [] and printed == ""  # a second run in the session does nothing
    pip_lines, printed = _run_set_up_cell(monkeypatch, installed=False, loaded_pyarrow="0.1")
    assert len(pip_lines) == 1
    assert printed.startswith("Upgraded while in use: pyarrow. Restart the session")


def test_set_up_cell_never_reinstalls_torch():
    cell = colab.setup_cell()
    pip_line = next(line for line in cell.splitlines() if "%pip" in line)
    assert "torch" not in pip_line
    assert not re.search(r"\s(-U|--upgrade|--force-reinstall|--no-deps)\b", pip_line)
    # Colab's own CUDA build of torch (2.8 or later since 2025) must satisfy embedlab, so pip
    # keeps it: a lower bound only, and not above 2.8
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    torch_spec = next(d for d in project["dependencies"] if _name(d) == "torch").split("#")[0]
    lower = re.fullmatch(r"torch>=([\d.]+)", torch_spec.strip())
    assert lower and tuple(map(int, lower.group(1).split("."))) <= (2, 8)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_ends_with_summary_and_exercises(path):
    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "## Summary" in text and "## Exercises" in text


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_checks_at_least_one_output_and_hard_codes_no_device(path):
    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "NBVAL_CHECK_OUTPUT" in code
    assert '"cuda"' not in code and "fp16=True" not in code


def _checker_calls(path: Path) -> list[tuple[str, str]]:
    """(checker name, cell source) for each el.exercises.check_...( call in the code cells."""
    cells = nbformat.read(path, as_version=4).cells
    return [
        (m, c.source)
        for c in cells
        if c.cell_type == "code"
        for m in CHECKER_CALL.findall(c.source)
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_exercises_check_themselves_and_have_solutions(path):
    called = [name for name, _ in _checker_calls(path)]
    assert len(called) >= 2, f"{path.name} needs at least two exercises with a checker call"
    registered = [  # checkers are registered under the notebook's stem; its number must match
        name
        for stem, names in embedlab.exercises.EXERCISES.items()
        if stem[:2] == path.stem[:2]
        for name in names
    ]
    assert called == registered, (
        f"{path.name} calls {called}; embedlab.exercises registers {registered} for it "
        f"(@exercise('{path.stem}'))"
    )
    solutions = SOLUTIONS / f"{path.stem}_solutions.ipynb"
    assert solutions.is_file(), f"no solutions notebook {solutions.relative_to(REPO)}"
    answered = _checker_calls(solutions)
    assert [name for name, _ in answered] == called
    for name, source in answered:  # nbval fails the cell if the checker rejects the answer
        assert "assert result.passed" in source and "NBVAL_CHECK_OUTPUT" in source, name


def test_every_solutions_notebook_belongs_to_a_notebook():
    stems = {p.stem for p in NOTEBOOKS}
    for path in SOLUTIONS.glob("*.ipynb"):
        assert path.stem.removesuffix("_solutions") in stems, path.name


def test_ci_runs_the_readme_commands():
    readme, ci = (REPO / "README.md").read_text(), (REPO / ".ci" / "run").read_text()
    for command in ('pip install -e ".[dev]" -c constraints/cpu.txt', "pytest"):
        assert command in readme and command in ci


TRAINING_NOTEBOOKS = [p for p in NOTEBOOKS if "recorded_run(" in p.read_text()]  # they record runs


def test_the_training_notebooks_are_found_by_their_trainers():
    """Found by content, so a new training notebook needs no line here; the chapter's are."""
    found = {p.name[:2] for p in TRAINING_NOTEBOOKS}
    assert {"02", "03", "04", "05", "06", "07"} <= found, sorted(found)
    assert not found & {"00", "01"}, sorted(found)  # those train no recipe seeds


@pytest.mark.parametrize("path", TRAINING_NOTEBOOKS, ids=lambda p: p.stem)
def test_training_notebook_checks_its_live_seeds_against_the_reference(path):
    """A checked cell prints check_live for the seeds trained live, so a stale reference ledger
    fails the notebook's test; the seed loops ask live_seeds which seeds to train."""
    cells = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    assert any("NBVAL_CHECK_OUTPUT" in s and "check_live(" in s for s in cells), path.name
    assert any("live_seeds(" in s for s in cells), path.name


def test_no_notebook_waits_for_another():
    """The root conftest.py, loaded by either lane, orders no notebooks: each is a group of
    its own; tests/conftest.py holds no notebook hooks."""
    text = (REPO / "conftest.py").read_text()
    assert "xdist_group(path.stem)" in text and "chain" not in text
    assert "xdist_group" not in (REPO / "tests" / "conftest.py").read_text()
