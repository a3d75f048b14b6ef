"""The notebooks' Colab entry points, made from one constant: :data:`embedlab._version.REPO_URL`.

Each notebook opens with an "Open in Colab" badge and a set-up cell that installs embedlab
from that repository on Colab (and does nothing elsewhere). Both are written here, so that
publishing the project under another address is one command::

    python -m embedlab_tools.colab https://github.com/<owner>/<name>

which sets ``REPO_URL`` and rewrites every notebook's badge and set-up cell.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

from embedlab._version import REPO_URL
from embedlab.errors import InputError

__all__ = ["badge", "setup_cell", "colab_cells_problems", "publish", "main"]

BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
GITHUB = "https://github.com/"

# The set-up cell: installs once per Colab session (a second run does nothing), never names
# torch (Colab's CUDA build already meets embedlab's lower bound, so pip keeps it), and says
# when a package that was already in use was upgraded and the session must restart.
SETUP_CELL = """\
# Set-up: on Colab this installs embedlab once per session; elsewhere it does nothing.
# To keep trained runs between notebooks on Colab, mount Google Drive first (Files panel).
import sys

REPO_URL = "{repo}"
if "google.colab" in sys.modules:
    import importlib.metadata
    import importlib.util

    if importlib.util.find_spec("embedlab") is None:  # not installed in this session yet
        %pip install -q "embedlab @ git+{{REPO_URL}}"
        in_use = [m for m in ("pyarrow", "numpy", "pandas", "ipywidgets") if m in sys.modules]
        stale = [m for m in in_use if sys.modules[m].__version__ != importlib.metadata.version(m)]
        if stale:
            print(f"Upgraded while in use: {{', '.join(stale)}}. Restart the session "
                  "(Runtime > Restart session), then run the notebook from the next cell.")"""


# https://github.com/<owner>/<name>: GitHub's own rules for both parts, nothing else, so
# that the address can sit inside a Python string and a shell command (`%pip install`)
_REPO = re.compile(
    r"https://github\.com/(?P<path>[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/"
    r"(?!\.{1,2}/?$)[A-Za-z0-9._-]{1,100})/?"
)


def _repo_path(repo: str) -> str:
    """``owner/name`` of ``repo``; anything but a plain GitHub address is an InputError."""
    found = _REPO.fullmatch(repo) if isinstance(repo, str) else None
    if found is None:
        raise InputError(
            f"expected https://github.com/<owner>/<name> (letters, digits, '-', '.' and '_' "
            f"only: no spaces, quotes or shell characters), got {repo!r}"
        )
    return found["path"]


def badge(notebook: str, repo: str = REPO_URL) -> str:
    """The Markdown badge that opens ``notebook`` (a path under the repository) in Colab."""
    target = f"https://colab.research.google.com/github/{_repo_path(repo)}/blob/main/{notebook}"
    return f"[![Open in Colab]({BADGE_IMAGE})]({target})"


def setup_cell(repo: str = REPO_URL) -> str:
    """The source of every notebook's set-up cell for ``repo``."""
    _repo_path(repo)
    return SETUP_CELL.format(repo=repo.rstrip("/"))


_BADGE = re.compile(r"\[!\[Open in Colab\]\([^)]*\)\]\([^)]*\)")


def colab_cells_problems(path: Path, root: Path, repo: str = REPO_URL) -> list[str]:
    """What differs between notebook ``path``'s badge and set-up cell and ``repo``'s."""
    nb = nbformat.read(path, as_version=4)
    relative = path.relative_to(root).as_posix()
    problems = []
    if badge(relative, repo) not in nb.cells[0].source:
        problems.append(f"{relative}: the first cell lacks the badge {badge(relative, repo)}")
    if nb.cells[1].source != setup_cell(repo):
        problems.append(f"{relative}: the second cell is not the set-up cell for {repo}")
    return problems


def publish(repo: str, root: Path) -> list[Path]:
    """Point ``root``'s ``REPO_URL``, badges and set-up cells at ``repo``; the files changed."""
    _repo_path(repo)
    version = root / "embedlab" / "_version.py"
    text = re.sub(r'REPO_URL = "[^"]*"', f'REPO_URL = "{repo.rstrip("/")}"', version.read_text())
    version.write_text(text)
    changed = [version]
    for path in sorted((root / "notebooks").rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        nb = nbformat.read(path, as_version=4)
        relative = path.relative_to(root).as_posix()
        new_badge = badge(relative, repo).replace("\\", "\\\\")  # literal in re.sub
        nb.cells[0].source = _BADGE.sub(new_badge, nb.cells[0].source)
        nb.cells[1].source = setup_cell(repo)
        nbformat.write(nb, path)
        changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repo", help="https://github.com/<owner>/<name> of the published copy")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the repository's root")
    args = parser.parse_args(argv)
    try:
        changed = publish(args.repo, args.root)
    except InputError as error:
        print(f"embedlab_tools.colab: {error}; nothing was changed", file=sys.stderr)
        return 2
    for path in changed:
        print(f"updated {path.relative_to(args.root)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
