import http.server
import json
import socket
import threading
import time
from contextlib import contextmanager

import huggingface_hub
import pytest

from embedlab import sources


def test_hf_hub_offline_is_honoured_at_once(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    sources.hub_reachable.cache_clear()
    start = time.perf_counter()
    assert sources.hub_reachable() is False
    assert time.perf_counter() - start < 0.1


def test_unreachable_endpoint_gives_up_quickly(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens on port 9
    sources.hub_reachable.cache_clear()
    start = time.perf_counter()
    assert sources.hub_reachable(timeout=2.0) is False
    assert time.perf_counter() - start < 5


def test_data_dir_comes_from_argument_or_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(sources.DATA_DIR_ENV, str(tmp_path))
    assert sources.data_dir() == tmp_path.resolve()
    assert sources.data_dir(tmp_path / "x") == (tmp_path / "x").resolve()
    monkeypatch.delenv(sources.DATA_DIR_ENV)
    assert sources.data_dir() is None


def test_runs_dir_follows_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDLAB_RUNS_DIR", str(tmp_path / "r"))
    assert sources.runs_dir() == (tmp_path / "r").resolve()
    assert (tmp_path / "r").is_dir()


@contextmanager
def _hub_like_server(seen: list[str], port: int = 0):
    """A local server answering every GET with a model's JSON; ``seen`` gets each request line."""

    class Answer(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the library's name)
            seen.append(self.requestline)
            body = json.dumps({"id": sources.HUB_PROBE_REPO, "sha": "0" * 40}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", port), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def online(monkeypatch):
    """The Hub allowed, even where this process started with HF_HUB_OFFLINE=1 (CI): the
    variable goes, and so does huggingface_hub's copy of it, read when it was imported."""
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_failed_hub_check_is_made_again_later(monkeypatch, online):
    port = _free_port()
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    assert sources.hub_reachable(timeout=2.0) is False  # nothing listens yet
    seen: list[str] = []
    with _hub_like_server(seen, port) as url:
        assert url.endswith(f":{port}")
        assert sources.hub_reachable(timeout=2.0) is False  # remembered for a while...
        monkeypatch.setattr(sources, "HUB_RECHECK_SECONDS", 0.0)
        assert sources.hub_reachable(timeout=2.0) is True  # ...then asked again
    assert [line.split()[1] for line in seen] == [f"/api/models/{sources.HUB_PROBE_REPO}"]


def test_the_hub_check_goes_through_the_proxy_like_the_downloads(monkeypatch, online):
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    seen: list[str] = []
    with _hub_like_server(seen) as proxy:
        monkeypatch.setenv("HF_ENDPOINT", "http://hub.embedlab.invalid")  # no DNS for .invalid
        assert sources.probe_hub(timeout=2.0) is not None  # no proxy: no answer
        monkeypatch.setenv("HTTP_PROXY", proxy)
        monkeypatch.setenv("http_proxy", proxy)
        huggingface_hub.close_session()  # its next client reads the proxy, as at start-up
        try:
            assert sources.probe_hub(timeout=2.0) is None
        finally:
            monkeypatch.undo()
            huggingface_hub.close_session()
    assert seen and seen[-1].startswith("GET http://hub.embedlab.invalid/api/models/")


def test_runs_default_beside_the_notebooks_never_in_site_packages(tmp_path, monkeypatch):
    monkeypatch.delenv("EMBEDLAB_RUNS_DIR")
    assert sources.default_runs_dir() == sources._project_root() / "runs"  # this checkout
    installed = tmp_path / "site-packages"  # a pip-installed copy: no pyproject.toml beside it
    monkeypatch.setattr(sources, "_project_root", lambda: installed)
    monkeypatch.setattr(sources, "COLAB_CONTENT", tmp_path / "no-colab")
    monkeypatch.chdir(tmp_path)
    assert sources.runs_dir() == (tmp_path / "embedlab-runs").resolve()
    content = tmp_path / "content"  # Colab: /content, or Drive once it is mounted
    content.mkdir()
    monkeypatch.setattr(sources, "COLAB_CONTENT", content)
    monkeypatch.setattr(sources, "COLAB_DRIVE", content / "drive" / "MyDrive")
    assert sources.default_runs_dir() == content / "embedlab-runs"
    (content / "drive" / "MyDrive").mkdir(parents=True)
    assert sources.default_runs_dir() == content / "drive" / "MyDrive" / "embedlab-runs"
    monkeypatch.setenv("EMBEDLAB_RUNS_DIR", str(tmp_path / "mine"))
    assert sources.runs_dir() == (tmp_path / "mine").resolve()
