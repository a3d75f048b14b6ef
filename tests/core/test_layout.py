"""The package's folders are its layers: imports go downwards only, and never in a circle.

core (``embedlab/*.py``) < ``methods`` < ``recipes`` < ``training`` < ``interactive`` < ``classroom``: a
module imports only from its own layer or lower ones, at module level or inside a function.
``import embedlab`` gives a small, literal ``__all__`` and loads none of the classroom's tools.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import embedlab

PACKAGE = Path(embedlab.__file__).resolve().parent
LAYERS = ("core", "methods", "recipes", "training", "interactive", "classroom")  # lowest first
MAX_EXPORTS = 25
NOT_ON_IMPORT = (
    "embedlab_tools",
    "embedlab_tools.labkit",
    "embedlab.classroom.doctor",
    "embedlab_tools.build_base",
)


def modules(root: Path = PACKAGE, name: str = "embedlab") -> dict[str, Path]:
    """Dotted name -> file of every module under ``root`` (a package is its ``__init__``)."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join((name, *parts))] = path
    return found


def _package_of(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def import_graph(found: dict[str, Path], top: str = "embedlab") -> dict[str, set[str]]:
    """module -> the package's modules it imports: every ``import`` and ``from ... import``
    anywhere in it (module level, functions, classes), relative ones resolved.

    ``from package import name`` counts as importing ``package.name`` when that is a module,
    else as importing ``package`` itself (its ``__init__``).
    """
    graph: dict[str, set[str]] = {}
    for module, path in found.items():
        package = _package_of(module, path)
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    name = alias.name
                    while name and name not in found and name.startswith(top + "."):
                        name = name.rpartition(".")[0]  # a name inside a module: the module
                    if name in found:
                        targets.add(name)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base_parts = package.split(".")
                    base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                    base = ".".join(base_parts + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                if base != top and not base.startswith(top + "."):
                    continue
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    targets.add(full if full in found else base)
        graph[module] = {t for t in targets if t in found}
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import cycle (one per strongly connected group, and each self-import)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph.get(node, ()):
                groups.append(sorted(group))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else "core"


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    """``a -> b`` for each import of a higher layer (``embedlab/__init__`` is the facade)."""
    rank = {name: i for i, name in enumerate(LAYERS)}
    return sorted(
        f"{source} ({layer(source)}) imports {target} ({layer(target)})"
        for source, targets in graph.items()
        if source != "embedlab"
        for target in targets
        if rank[layer(target)] > rank[layer(source)]
    )


# --- the checker finds what it should -------------------------------------------------------


def _toy_package(tmp_path: Path, files: dict[str, str]) -> dict[str, Path]:
    root = tmp_path / "toy"
    for name, text in {"__init__.py": "", **files}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return modules(root, "toy")


def test_the_checker_sees_cycles_through_functions_and_relative_imports(tmp_path):
    found = _toy_package(
        tmp_path,
        {
            "a.py": "from .b import x\n",
            "b.py": "def f():\n    from . import a\n",
            "sub/__init__.py": "from . import c\n",
            "sub/c.py": "def g():\n    from ..sub import d\n",
            "sub/d.py": "import toy.sub.c\n",
            "e.py": "from toy import e\n",
        },
    )
    cycles = find_cycles(import_graph(found, top="toy"))
    assert ["toy.a", "toy.b"] in cycles
    assert ["toy.sub.c", "toy.sub.d"] in cycles
    assert ["toy.e"] in cycles


def test_the_checker_sees_an_upward_import():
    graph = {"embedlab.data": {"embedlab.training.ledger"}, "embedlab.training.ledger": set()}
    assert layer_violations(graph) == [
        "embedlab.data (core) imports embedlab.training.ledger (training)"
    ]


# --- the package --------------------------------------------------------------------------


def test_no_import_cycles():
    cycles = find_cycles(import_graph(modules()))
    assert cycles == [], f"import cycles (module level or inside functions): {cycles}"


def test_no_module_imports_the_top_package():
    graph = import_graph(modules())
    back = sorted(m for m, targets in graph.items() if "embedlab" in targets and m != "embedlab")
    assert back == [], f"import embedlab/_version.py, not the half-initialised package: {back}"


def test_layers_import_downwards_only():
    assert layer_violations(import_graph(modules())) == []


def test_every_layer_has_its_folder():
    for name in LAYERS[1:]:
        assert (PACKAGE / name / "__init__.py").is_file(), name


def test_all_is_a_short_literal_list_of_names_that_exist():
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    assigned = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
    ]
    assert len(assigned) == 1 and isinstance(assigned[0], ast.List), "__all__: one literal list"
    assert all(
        isinstance(e, ast.Constant) and isinstance(e.value, str) for e in assigned[0].elts
    ), "__all__ holds only string literals"
    names = [e.value for e in assigned[0].elts]
    assert names == embedlab.__all__
    assert len(names) <= MAX_EXPORTS, f"{len(names)} names in embedlab.__all__"
    assert len(set(names)) == len(names), "a name is listed twice"
    missing = [name for name in names if not hasattr(embedlab, name)]
    assert missing == [], f"embedlab.__all__ names what embedlab lacks: {missing}"


@pytest.mark.parametrize(
    "namespace",
    ["data", "models", "evaluation", "plots", "profiles", "batching", "training", "methods"]
    + ["recipes", "interactive", "exercises"],
)
def test_the_layers_and_core_modules_are_namespaces_of_el(namespace):
    assert namespace in embedlab.__all__


def _loaded_after(statements: str, modules) -> list[str]:
    """Which of ``modules`` a fresh Python process has loaded after running ``statements``."""
    code = (
        f"import json, sys; {statements}; "
        f"print(json.dumps([m for m in {list(modules)!r} if m in sys.modules]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=PACKAGE.parent,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_embedlab_loads_none_of_the_classroom_tools():
    assert _loaded_after("import embedlab", NOT_ON_IMPORT) == []


def test_a_notebooks_start_loads_neither_the_lab_kit_nor_the_base_builder():
    """el.start prints the doctor's short report; the doctor reads the catalogue of offline
    files from core (datafiles), so the lab kit and build_base stay unloaded."""
    started = "import embedlab as el; el.start('test')"
    tools = ("embedlab_tools.labkit", "embedlab_tools.build_base")
    assert _loaded_after(started, tools) == []
