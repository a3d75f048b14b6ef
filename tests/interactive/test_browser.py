"""The knob panel in a real browser: JupyterLab on loopback, driven in headless Chromium.

Widgets that work in Python can still fail in the front end ("Error displaying widget",
front-end/kernel version mismatch). This test starts JupyterLab from this environment,
opens a small notebook that shows the real notebook-02 knob panel, runs it, checks that the
panel renders, refuses an out-of-range batch size, and that Run with changed knobs updates
the outcome; it saves screenshots to ``$EMBEDLAB_ARTIFACTS_DIR`` (default ``runs/browser``).

Needs Debian's ``chromium`` (``apt-get install -y chromium``) and the Python package
``playwright`` (no browser download: the system Chromium is used). Skipped when Chromium
is missing, except in CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from notebook_panels import panel_cell

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("EMBEDLAB_CHROMIUM", "/usr/bin/chromium"))  # Debian's package
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_CELLS = [
    "import embedlab as el\nfrom embedlab.evaluation import stsb_evaluator\n"
    "from embedlab.recipes.softmax import softmax_trainer\n\n"
    'NOTEBOOK = "browser_demo"\nprofile = el.start(NOTEBOOK, profile="quick")\n'
    "train_dataset = el.data.nli_pairs(el.data.load_training_nli(profile.train_splits, n_rows=2000))",
    panel_cell("02_softmax_loss"),  # notebook 02's own panel cell, unchanged
    "# 300 STS-B pairs instead of 1,500 keep a Run to seconds; the run is otherwise the real one\n"
    "panel = el.knob_panel(SOFTMAX_PANEL, profile, map_points=60,\n"
    "                      evaluator=stsb_evaluator(rows=list(range(300))))\npanel",
]


def _require_browser() -> None:
    missing = []
    if not CHROMIUM.is_file():
        missing.append(f"Chromium at {CHROMIUM} (apt-get install -y chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package (pip install -e '.[dev]')")
    if missing:
        reason = "the browser test needs " + " and ".join(missing)
        if IN_CI:
            pytest.fail(f"{reason}; CI must run it (.ci/run installs both)")
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def jupyterlab(tmp_path):
    """A JupyterLab server on loopback with fresh config dirs; yields (url, log path)."""
    root, home = tmp_path / "lab", tmp_path / "jupyter"
    root.mkdir()
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in DEMO_CELLS],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.write(notebook, root / "knob_panel_demo.ipynb")
    settings = home / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        '{"fetchNews": "false", "checkForUpdates": false}'
    )
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "IPYTHONDIR": str(home / "ipython"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "EMBEDLAB_PROFILE": "quick",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    }
    port = _free_port()
    log_path = tmp_path / "jupyterlab.log"
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--IdentityProvider.token=",
        "--ServerApp.password=",
        f"--ServerApp.root_dir={root}",
        "--allow-root",
    ]
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url, log_path
    finally:
        server.terminate()  # the server shuts its kernels down
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)  # the group of the server started above
            server.wait()


def _artifacts() -> Path:
    folder = Path(os.environ.get("EMBEDLAB_ARTIFACTS_DIR", REPO / "runs" / "browser"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_knob_panel_renders_runs_and_updates_in_jupyterlab(jupyterlab):
    _require_browser()
    from playwright.sync_api import expect, sync_playwright

    url, log_path = jupyterlab
    shots = _artifacts()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        try:
            page.goto(f"{url}/lab/tree/knob_panel_demo.ipynb")
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
            expect(page.locator(".jp-StatusBar-Widget", has_text="| Idle")).to_be_visible(
                timeout=60_000
            )
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()

            panel = page.locator(".embedlab-knob-panel")
            expect(panel).to_be_visible(timeout=120_000)
            assert page.locator("text=Error displaying widget").count() == 0

            # an out-of-range knob: a message, nothing run
            batch = page.locator(".embedlab-knob-batch_size input")
            batch.fill("999")
            batch.press("Tab")
            message = page.locator(".embedlab-message")
            expect(message).to_contain_text("out of range", timeout=15_000)

            # valid knobs, then Run: the outcome updates in place
            batch.fill("16")
            batch.press("Tab")
            pairs = page.locator(".embedlab-knob-n_pairs input")
            pairs.fill("48")
            pairs.press("Tab")
            expect(message).not_to_contain_text("out of range", timeout=15_000)
            page.locator(".embedlab-run").click()
            outcome = page.locator(".embedlab-outcome")
            expect(outcome).to_contain_text("STS-B Spearman", timeout=180_000)
            expect(outcome).to_contain_text("n_pairs 48, epochs 1, batch_size 16")
            expect(outcome.locator("img")).to_have_count(1)
            expect(message).to_contain_text("recorded as")
            assert page.locator("text=Error displaying widget").count() == 0
            panel.scroll_into_view_if_needed()
            panel.screenshot(path=str(shots / "knob_panel.png"))
            page.screenshot(path=str(shots / "knob_panel_page.png"), full_page=True)
        except Exception:
            page.screenshot(path=str(shots / "knob_panel_failure.png"), full_page=True)
            print(log_path.read_text()[-3000:])
            raise
        finally:
            browser.close()
    assert (shots / "knob_panel.png").stat().st_size > 10_000
    shutil.copy(log_path, shots / "jupyterlab.log")
