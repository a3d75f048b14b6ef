"""The results ledger: one JSON line per training run in ``<runs dir>/results.jsonl``.

Each record is appended with a single ``write`` on a file opened in append mode and then
flushed to disk, so a crash mid-write can at worst leave a torn *last* line, which the
reader skips; earlier lines are never touched.

>>> record_run({"notebook": "02_softmax_loss", "recipe": "softmax", ...})
>>> ledger_table()                         # a pandas DataFrame, newest run per recipe
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import pandas as pd

from .sources import runs_dir

__all__ = [
    "BOOK_SCORES",
    "REQUIRED_KEYS",
    "ledger_path",
    "record_run",
    "read_ledger",
    "ledger_table",
]

log = logging.getLogger(__name__)

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

REQUIRED_KEYS = (
    "notebook",
    "recipe",
    "profile",
    "base_model",
    "n_train",
    "seconds",
    "peak_memory_mb",
    "untrained",
    "trained",
    "model_path",
)


def ledger_path() -> Path:
    """Path of ``results.jsonl`` in the runs folder."""
    return runs_dir() / "results.jsonl"


def record_run(record: dict[str, Any], *, path: Path | None = None) -> Path:
    """Append one run's record as a JSON line; return the ledger's path."""
    missing = [key for key in REQUIRED_KEYS if key not in record]
    if missing:
        raise ValueError(f"a ledger record needs {missing}; it has {sorted(record)}")
    path = path or ledger_path()
    line = (json.dumps(record, sort_keys=True, default=str) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
    return path


def read_ledger(*, path: Path | None = None) -> list[dict[str, Any]]:
    """All complete records, oldest first; torn or malformed lines are skipped with a warning."""
    path = path or ledger_path()
    if not path.is_file():
        return []
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            log.warning("skipping unreadable line %d of %s", number, path)
    return records


def latest_run(recipe: str, *, profile: str | None = None, path: Path | None = None):
    """The newest record of ``recipe`` (in ``profile`` if given), or ``None``."""
    for record in reversed(read_ledger(path=path)):
        if record.get("recipe") == recipe and (profile is None or record.get("profile") == profile):
            return record
    return None


def ledger_table(
    *,
    notebook: str | None = None,
    profile: str | None = None,
    latest_only: bool = True,
    path: Path | None = None,
) -> pd.DataFrame:
    """The ledger as a table beside the book's scores, filtered by notebook and profile.

    With ``latest_only`` the newest run of each (recipe, profile, seed) is kept, and the runs
    of one recipe under several seeds become one row: ``untrained``, ``trained`` and
    ``seconds`` are their means, ``trained_std`` the spread and ``seeds`` how many there were.
    """
    rows = []
    for r in read_ledger(path=path):
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
        "book",
        "seconds",
        "peak_memory_mb",
        "time",
    ]
    summary = summary[order].sort_values("time", kind="stable")
    return summary.reset_index(drop=True)
