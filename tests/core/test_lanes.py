"""The notebook lane: each notebook's kernel starts with a runs folder of its own, whichever
way pytest is started (the hooks live in the root conftest.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[2]


def test_each_notebook_gets_a_fresh_runs_folder_and_the_notebook_marker(tmp_path):
    folder = REPO / "tests" / f".lane-{uuid.uuid4().hex[:8]}"  # under the root conftest
    folder.mkdir()
    out = tmp_path / "seen.txt"
    try:
        for name in ("aa_first", "bb_second"):
            cell = nbformat.v4.new_code_cell(
                "import os\n"
                "open(os.environ['LANE_OUT'], 'a').write(os.environ['EMBEDLAB_RUNS_DIR'] + '\\n')"
            )
            nbformat.write(nbformat.v4.new_notebook(cells=[cell]), folder / f"{name}.ipynb")
        env = {**os.environ, "LANE_OUT": str(out), "EMBEDLAB_RUNS_DIR": str(tmp_path / "shared")}

        def pytest_on_folder(marker: str) -> subprocess.CompletedProcess:
            command = [sys.executable, "-m", "pytest", "-n", "0", "-p", "no:cacheprovider", "-q"]
            return subprocess.run(
                [*command, "-m", marker, str(folder)],
                cwd=REPO,
                env=env,
                capture_output=True,
                text=True,
            )

        run = pytest_on_folder("notebook")
        assert run.returncode == 0, run.stdout[-2000:]
        assert "2 passed" in run.stdout
        summary = run.stdout.split("seconds per lane")[1]  # where the time went, per notebook
        assert " s  aa_first" in summary and " s  bb_second" in summary and " s  in all" in summary
        seen = out.read_text().split()
        assert len(seen) == 2 and len(set(seen)) == 2 and str(tmp_path / "shared") not in seen
        assert "aa_first" in Path(seen[0]).name and "bb_second" in Path(seen[1]).name
        skipped = pytest_on_folder("not notebook")
        assert "2 deselected" in skipped.stdout, skipped.stdout[-2000:]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
