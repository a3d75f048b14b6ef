"""The results ledger: one JSON line per training run in ``<runs dir>/results.jsonl``.

Each record is checked against one schema (:mod:`embedlab.training.ledger_schema`) and appended with
a single ``write`` on a file opened in append mode, then flushed to disk; appends from
several processes at once stay whole. A write the disk takes only part of (it is full) is
taken back and reported, never left as a silent torn line. A crash mid-write can at worst
leave a torn *last* line: the next append starts on a new line, and readers skip the torn line (and any line
that breaks the schema) with one warning naming the lines; earlier lines are never touched.

>>> check_runs_dir()                       # before training: the folder takes models and records
>>> record_run({"notebook": "02_softmax_loss", "recipe": "softmax", ...})
>>> ledger_table()                         # a pandas DataFrame, newest run per recipe
"""

from __future__ import annotations

import codecs
import errno
import json
import logging
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError, StorageError
from ..sources import RUNS_DIR_ENV, runs_dir
from .ledger_schema import REQUIRED_KEYS, record_problems

__all__ = [
    "BOOK_SCORES",
    "busy_machine",
    "REQUIRED_KEYS",
    "ledger_path",
    "check_runs_dir",
    "record_run",
    "read_ledger",
    "ledger_table",
]

log = logging.getLogger(__name__)

LEDGER_NAME = "results.jsonl"
# the reference ledgers (embedlab.training.reference): one per profile, shipped with embedlab
REFERENCE_DIR_ENV = "EMBEDLAB_REFERENCE_DIR"  # another folder of reference ledgers (tests)
SHIPPED_REFERENCE_DIR = Path(__file__).resolve().parent.parent / "reference"
MODELS_NAME = "models"

# STS-B validation scores the book reports for each recipe (spearman/pearson on cosine).
BOOK_SCORES: dict[str, dict[str, float]] = {
    "softmax": {"spearman_cosine": 0.603, "pearson_cosine": 0.598},
    "cosine": {"spearman_cosine": 0.725, "pearson_cosine": 0.722},
    "mnr-soft": {"spearman_cosine": 0.812, "pearson_cosine": 0.809},
    "pretrained": {"spearman_cosine": 0.867},
    "finetune-mnr": {"spearman_cosine": 0.848, "pearson_cosine": 0.851},
    "augsbert-given": {"spearman_cosine": 0.721, "pearson_cosine": 0.710},
    "tsdae": {"spearman_cosine": 0.714, "pearson_cosine": 0.699},
}


def reference_path(profile: str) -> Path:
    """The reference ledger of ``profile`` (it may not exist: then every seed is live)."""
    folder = os.environ.get(REFERENCE_DIR_ENV)
    return (Path(folder).expanduser() if folder else SHIPPED_REFERENCE_DIR) / f"{profile}.jsonl"


def ledger_path() -> Path:
    """Path of ``results.jsonl`` in the runs folder."""
    return runs_dir() / LEDGER_NAME


def _unusable(root: Path, problem: str) -> StorageError:
    return StorageError(
        f"the runs folder {root} cannot take models and results: {problem}. "
        f"Set {RUNS_DIR_ENV} to a writable folder (or fix this one) and run again."
    )


def _try_write(folder: Path) -> None:
    """Create and remove a small file in ``folder`` (``os.access`` trusts root blindly)."""
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".embedlab-write-check-"):
        pass


def check_runs_dir(path: str | os.PathLike[str] | None = None, *, needed_bytes: int = 0) -> Path:
    """Check that the runs folder (default :func:`~embedlab.sources.runs_dir`) can take a
    saved model in ``models/`` and a record in ``results.jsonl``; return the folder.

    Call it before training, so that a run is never lost at the end. Raises
    :class:`StorageError` naming the folder, the problem and the fix: a read-only folder,
    a file where a folder should be, ``results.jsonl`` that is a folder, or less free space
    in ``models/`` than ``needed_bytes`` (what the run will write, see
    :func:`embedlab.artefacts.space_needed`).
    """
    root = Path(path).expanduser() if path is not None else runs_dir()
    if root.exists() and not root.is_dir():
        raise _unusable(root, "it is a file, not a folder")
    models, ledger = root / MODELS_NAME, root / LEDGER_NAME
    if models.exists() and not models.is_dir():
        raise _unusable(root, f"{models} is a file, not a folder")
    if ledger.exists() and not ledger.is_file():
        raise _unusable(root, f"{ledger} is not a file (a folder?): move it away")
    for folder in (root, models):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            _try_write(folder)
        except OSError as error:
            reason = error.strerror or str(error)
            raise _unusable(root, f"{folder} is not writable ({reason})") from error
    if ledger.exists():
        try:
            with ledger.open("ab"):
                pass
        except OSError as error:
            raise _unusable(
                root, f"{ledger} cannot be appended to ({error.strerror or error})"
            ) from error
    free = shutil.disk_usage(models).free
    if free < needed_bytes:
        raise StorageError(
            f"the runs folder {root} has too little free space: {_mb(free)} free in {models}, "
            f"about {_mb(needed_bytes)} needed to save this run's model and record. Free some "
            f"space on that disk, or set {RUNS_DIR_ENV} to a folder on a disk with room, and "
            "run again (nothing was trained)."
        )
    return root.resolve()


def _mb(size: int) -> str:
    return f"{size / 2**20:.1f} MB"


def _json_value(value: Any) -> Any:
    """JSON for what ``json`` cannot write: NumPy scalars as numbers, anything else as text."""
    item = getattr(value, "item", None)
    if callable(item):
        try:
            return item()
        except (TypeError, ValueError):
            pass
    return str(value)


def _without_nan(value: Any, where: str = "") -> tuple[Any, list[str]]:
    """``value`` with each NaN or infinite number replaced by ``None``, and where they were
    (``"trained.spearman_cosine"``)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None, [where]
    if isinstance(value, dict):
        pairs = [
            (key, _without_nan(item, f"{where}.{key}" if where else str(key)))
            for key, item in value.items()
        ]
        return {key: item for key, (item, _) in pairs}, [w for _, (_, ws) in pairs for w in ws]
    if isinstance(value, list):
        items = [_without_nan(item, f"{where}[{i}]") for i, item in enumerate(value)]
        return [item for item, _ in items], [w for _, ws in items for w in ws]
    return value, []


_NO_SPACE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def _append(fd: int, line: bytes) -> None:
    """Write all of ``line`` at the end of ``fd`` and flush it to disk.

    ``os.write`` may write only part of it (a disk that fills up): the rest is written in
    further calls. When that fails, the bytes that landed are taken back (unless another
    process has appended since), so the ledger is as it was before.
    """
    start = written = 0
    try:
        while written < len(line):
            count = os.write(fd, line[written:])
            if count <= 0:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            if not written:
                start = os.lseek(fd, 0, os.SEEK_CUR) - count
            written += count
        os.fsync(fd)
    except BaseException:
        if written:
            try:
                if os.fstat(fd).st_size == start + written:  # nobody appended after us
                    os.ftruncate(fd, start)
            except OSError:
                pass  # left torn: readers skip it, the next append starts a new line
        raise


def record_run(record: dict[str, Any], *, path: Path | None = None) -> Path:
    """Append one run's record as a JSON line; return the ledger's path.

    NaN or infinite numbers (STS-B scores of constant or NaN labels) are written as
    ``null`` and listed under ``"not_finite"``, with a warning: the line stays strict JSON
    that every reader can parse, and the run's other figures are kept rather than refused.
    Raises :class:`InputError` when ``record`` breaks the schema (nothing is written) and
    :class:`StorageError` when the ledger cannot be written whole (it is left as it was).
    """
    problems = record_problems(record, writing=True)
    not_finite: list[str] = []
    if not problems:  # what is written must read back valid (a NumPy float becomes a float)
        record = json.loads(json.dumps(record, default=_json_value))
        record, not_finite = _without_nan(record)
        if not_finite:
            record["not_finite"] = not_finite
        problems = record_problems(record, writing=True)
    if problems:
        raise InputError(
            f"ledger record refused: {'; '.join(problems)}. A record needs "
            f"{', '.join(REQUIRED_KEYS)}; nothing was written."
        )
    if not_finite:
        log.warning(
            "the ledger record of %r has values that are not numbers (NaN or infinite): %s. "
            "They are recorded as null; a NaN score usually means NaN or all-equal labels in "
            "the evaluation set.",
            record.get("recipe"),
            ", ".join(not_finite),
        )
    path = Path(path) if path is not None else ledger_path()
    text = json.dumps(record, sort_keys=True, allow_nan=False)
    line = (text + "\n").encode("utf-8")
    try:
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                line = b"\n" + line  # a torn last line: start on a new one, never glue to it
            _append(fd, line)
        finally:
            os.close(fd)
    except OSError as error:
        fix = (
            f"Free some space on that disk (or set {RUNS_DIR_ENV} to a folder on another one) "
            "before the next run"
            if error.errno in _NO_SPACE
            else f"Set {RUNS_DIR_ENV} to a writable folder (or fix this one) before the next run"
        )
        raise StorageError(
            f"the ledger {path} cannot be written ({error.strerror or error}), so this record "
            f"was not saved: {text}. {fix}; its earlier records are unchanged."
        ) from error
    return path


_warned: set[tuple[str, tuple[int, ...]]] = set()


def _warn_skipped(path: Path, skipped: list[tuple[int, str]], kept: int) -> None:
    """One warning for the lines of ``path`` that were skipped (once per set of lines)."""
    key = (str(path), tuple(number for number, _ in skipped))
    if key in _warned:
        return
    _warned.add(key)
    shown = "; ".join(f"line {number}: {why}" for number, why in skipped[:5])
    more = f"; and {len(skipped) - 5} more" if len(skipped) > 5 else ""
    numbers = ", ".join(str(number) for number, _ in skipped[:20])
    log.warning(
        "skipped %d bad ledger line(s) of %s (lines %s): %s%s. The other %d record(s) are used; "
        "delete or fix those lines to silence this.",
        len(skipped),
        path,
        numbers + (", ..." if len(skipped) > 20 else ""),
        shown,
        more,
        kept,
    )


def _parse(raw: bytes, torn: bool) -> tuple[dict[str, Any] | None, str]:
    """A line's record, or ``None`` and why it is skipped."""
    try:
        record = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None, "torn (an interrupted write)" if torn else "not JSON"
    except RecursionError:  # e.g. 200,000 "[": too deep for the parser, not a record
        return None, "nested too deeply to read (not a ledger record)"
    problems = record_problems(record)
    return (None, "; ".join(problems)) if problems else (record, "")


def read_ledger(*, path: Path | None = None) -> list[dict[str, Any]]:
    """All valid records, oldest first.

    Lines that are not JSON, torn by a crash, nested too deeply to parse or break the schema
    (``null``, a list, ``"seconds": "fast"``...) are skipped with one warning naming them. A
    UTF-8 byte-order mark at the start (an editor such as Notepad adds one) is ignored.
    """
    if path is None:
        try:
            path = ledger_path()
        except StorageError as error:
            log.warning("%s", error)
            return []
    path = Path(path)
    if not path.exists():
        return []
    try:
        lines = path.read_bytes().split(b"\n")
    except OSError as error:  # a folder in its place, or unreadable
        log.warning("the ledger %s cannot be read (%s); no records shown", path, error)
        return []
    if lines[0].startswith(codecs.BOM_UTF8):  # saved by an editor that marks UTF-8 (Notepad)
        lines[0] = lines[0][len(codecs.BOM_UTF8) :]
    records, skipped = [], []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        record, why = _parse(raw, torn=number == len(lines))
        if record is None:
            skipped.append((number, why))
        else:
            records.append(record)
    if skipped:
        _warn_skipped(path, skipped, len(records))
    return records


def latest_run(recipe: str, *, profile: str | None = None, path: Path | None = None):
    """The newest record of ``recipe`` (in ``profile`` if given), or ``None``."""
    for record in reversed(read_ledger(path=path)):
        if record.get("recipe") == recipe and (profile is None or record.get("profile") == profile):
            return record
    return None


def busy_machine(record: dict[str, Any]) -> bool:
    """Whether a run's time was measured on a busy machine: a load average above its core
    count at the end of the run (other work then slowed it, so its seconds are not comparable
    with other runs'). Records without the figures count as not busy."""
    load, cores = record.get("load_average"), record.get("cores")
    return load is not None and bool(cores) and load > cores


def ledger_table(
    *,
    notebook: str | None = None,
    profile: str | None = None,
    latest_only: bool = True,
    path: Path | None = None,
    reference: bool = False,
) -> pd.DataFrame:
    """The ledger as a table beside the book's scores, filtered by notebook and profile.

    With ``latest_only`` the newest run of each (recipe, profile, seed) is kept, and the runs
    of one recipe under several seeds become one row: ``untrained``, ``trained`` and
    ``seconds`` are their means, ``trained_std`` the spread, ``seeds`` how many there were
    and ``live`` how many of them this runs folder trained. With ``reference`` (and a
    ``profile``) the seeds this folder lacks come from the reference ledger
    (:mod:`embedlab.training.reference`). ``busy`` says whether a run ended on a busy machine
    (:func:`busy_machine`): its seconds are then not comparable.
    """
    records = [{**r, "source": "live"} for r in read_ledger(path=path)]
    if reference and profile:
        held = {(r.get("recipe"), r.get("profile"), r.get("seed")) for r in records}
        records = [
            {**r, "source": "reference"}
            for r in read_ledger(path=reference_path(profile))
            if (r.get("recipe"), r.get("profile"), r.get("seed")) not in held
        ] + records
    rows = []
    for r in records:
        if notebook and r.get("notebook") != notebook:
            continue
        if profile and r.get("profile") != profile:
            continue
        book = BOOK_SCORES.get(r["recipe"], {})
        rows.append(
            {
                "notebook": r["notebook"],
                "recipe": r["recipe"],
                "profile": r["profile"],
                "base_model": r["base_model"],
                "n_train": r["n_train"],
                "untrained": (r.get("untrained") or {}).get("spearman_cosine"),
                "trained": (r.get("trained") or {}).get("spearman_cosine"),
                "book": book.get("spearman_cosine"),
                "seconds": round(float(r["seconds"]), 1),
                "peak_memory_mb": round(float(r["peak_memory_mb"])),
                "seed": r.get("seed"),
                "time": r.get("time", ""),
                "busy": busy_machine(r),
                "live": r["source"] == "live",
            }
        )
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    if not latest_only:
        return table.reset_index(drop=True)
    table["seed"] = table["seed"].astype(object).where(table["seed"].notna(), "none")
    table = table.drop_duplicates(subset=["recipe", "profile", "seed"], keep="last")
    grouped = table.groupby(["recipe", "profile"], sort=False)
    summary = grouped.agg(
        notebook=("notebook", "last"),
        base_model=("base_model", "last"),
        n_train=("n_train", "last"),
        untrained=("untrained", "mean"),
        trained=("trained", "mean"),
        trained_std=("trained", "std"),
        seeds=("seed", "count"),
        book=("book", "last"),
        seconds=("seconds", "mean"),
        peak_memory_mb=("peak_memory_mb", "max"),
        time=("time", "last"),
        busy=("busy", "any"),
        live=("live", "sum"),
    ).reset_index()
    summary["trained_std"] = summary["trained_std"].fillna(0.0)
    for column in ("untrained", "trained", "trained_std"):
        summary[column] = summary[column].round(4)
    summary["seconds"] = summary["seconds"].round(1)
    order = [
        "notebook",
        "recipe",
        "profile",
        "base_model",
        "n_train",
        "untrained",
        "trained",
        "trained_std",
        "seeds",
        "live",
        "book",
        "seconds",
        "peak_memory_mb",
        "time",
        "busy",
    ]
    summary = summary[order].sort_values("time", kind="stable")
    return summary.reset_index(drop=True)
