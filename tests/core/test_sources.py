import time

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
