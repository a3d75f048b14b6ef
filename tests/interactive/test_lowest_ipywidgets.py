"""The panels work with the lowest ipywidgets that pyproject.toml allows (Colab ships 7.7).

A virtual environment that sees this one's packages gets that ipywidgets version alone, and
the widget tests run there (the slow training test aside). Only ``widgets.py`` imports
ipywidgets, so the knob tests (``knobs.py``, no widgets) are not run again.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _lowest_ipywidgets() -> str:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    spec = next(d for d in project["dependencies"] if d.startswith("ipywidgets"))
    return re.fullmatch(r"ipywidgets>=([\d.]+)", spec.split("#")[0].strip()).group(1)


def test_the_widget_tests_pass_with_the_lowest_ipywidgets(tmp_path):
    lowest = _lowest_ipywidgets()
    assert lowest.startswith("7."), "Colab ships ipywidgets 7.7: keep it working there"
    env_dir = tmp_path / "lowest"
    venv.create(env_dir, system_site_packages=True, with_pip=True)
    python = str(env_dir / "bin" / "python")
    quiet = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    install = [python, "-m", "pip", "install", "-q", f"ipywidgets=={lowest}"]
    subprocess.run(install, check=True, env=quiet, capture_output=True, timeout=300)
    version = subprocess.run(
        [python, "-c", "import ipywidgets; print(ipywidgets.__version__)"],
        check=True,
        capture_output=True,
        text=True,
        env=quiet,
    ).stdout.strip()
    assert version == lowest
    importers = {
        path.relative_to(REPO).as_posix()
        for path in (REPO / "embedlab").rglob("*.py")
        if re.search(r"^\s*(import|from) ipywidgets", path.read_text(), re.MULTILINE)
    }
    assert importers == {"embedlab/interactive/widgets.py"}, "run their tests below too"
    tests = ["tests/interactive/test_widgets.py"]
    run = subprocess.run(
        [python, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider", *tests]
        + ["-k", "not run_trains", "-W", "ignore::DeprecationWarning"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=quiet,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert re.search(r"\d+ passed", run.stdout) and sys.executable != python
