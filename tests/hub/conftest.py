"""Fixtures for tests through the loopback Hub: the running hub, and subprocesses that use it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fixtures import build_hub
from loopback_hub import LoopbackHub

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO.parent / "shared" / "data"
# Variables that would keep a subprocess off the hub, or point its caches elsewhere.
DROPPED_VARS = (
    "HF_HUB_OFFLINE",
    "HF_DATASETS_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "EMBEDLAB_OFFLINE",
    "EMBEDLAB_DATA_DIR",
    "HF_HUB_CACHE",
    "HUGGINGFACE_HUB_CACHE",
    "HF_DATASETS_CACHE",
    "HF_XET_CACHE",
    "TRANSFORMERS_CACHE",
    "SENTENCE_TRANSFORMERS_HOME",
    "HF_TOKEN",
)

REQUEST_LOG_ENV = "EMBEDLAB_HUB_REQUEST_LOG"  # a file to append the answered request shapes to
RunOnHub = Callable[..., subprocess.CompletedProcess]


@pytest.fixture(scope="session")
def hub_data_dir() -> Path:
    """The offline data folder the hub's datasets are built from: ``$EMBEDLAB_DATA_DIR``, else
    ../shared/data (read before tests/conftest.py's autouse fixture sets the variable)."""
    return Path(os.environ.get("EMBEDLAB_DATA_DIR") or SHARED_DATA)


@pytest.fixture(scope="session")
def loopback_hub(
    hub_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LoopbackHub]:
    """The running loopback Hub with the test repos (see fixtures.py); stopped at the end."""
    with build_hub(hub_data_dir, tmp_path_factory.mktemp("hub-repos")) as hub:
        yield hub
        log = os.environ.get(REQUEST_LOG_ENV)
        if log:  # the request shapes this session's tests made the hub answer
            with open(log, "a", encoding="utf-8") as out:
                out.writelines(f"{shape}\n" for shape in sorted(hub.request_shapes()))


def hub_environment(hub: LoopbackHub, home: Path) -> dict[str, str]:
    """The environment of a process that uses ``hub`` as its Hub, with fresh caches in ``home``."""
    env = {k: v for k, v in os.environ.items() if k not in DROPPED_VARS}
    env |= {
        "HF_ENDPOINT": hub.url,
        "HF_HOME": str(home / "hf"),
        "HF_HUB_DISABLE_XET": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        "EMBEDLAB_CACHE_DIR": str(home / "embedlab-cache"),
        "EMBEDLAB_RUNS_DIR": str(home / "runs"),
        "MTEB_CACHE": str(home / "mteb"),
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    return env


@pytest.fixture
def run_on_hub(loopback_hub: LoopbackHub, tmp_path: Path) -> RunOnHub:
    """``run_on_hub(code, *, env=None, timeout=600)``: run ``code`` in a subprocess on the hub.

    The test fails, showing stdout and stderr, when the subprocess exits non-zero or times out.
    """

    def run(
        code: str, *, env: dict | None = None, timeout: int = 600
    ) -> subprocess.CompletedProcess:
        script = tmp_path / "on_hub.py"
        script.write_text(code)
        full_env = hub_environment(loopback_hub, tmp_path) | (env or {})
        try:
            result = subprocess.run(
                [sys.executable, str(script)],
                cwd=REPO,
                env=full_env,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as error:
            pytest.fail(
                f"timed out after {timeout} s\n{_output(error.stdout, error.stderr)}", pytrace=False
            )
        if result.returncode != 0:
            pytest.fail(
                f"exit code {result.returncode}\n{_output(result.stdout, result.stderr)}",
                pytrace=False,
            )
        return result

    return run


def _output(stdout: str | bytes | None, stderr: str | bytes | None) -> str:
    text = [
        s.decode(errors="replace") if isinstance(s, bytes) else s or "" for s in (stdout, stderr)
    ]
    return f"--- stdout ---\n{text[0]}\n--- stderr ---\n{text[1]}"
