"""Reading the offline JSON Lines files safely: a damaged file is named with its bad line.

A truncated or hand-edited file would otherwise fail deep inside ``datasets`` ("row 21"), or
load with a missing value (``None``) or an impossible label that breaks a run much later.
:func:`load_jsonl` loads a file and :func:`check_file` only checks one (the doctor); both
raise :class:`~embedlab.errors.DataUnavailableError` naming the file, the line and the fix.

>>> dataset = load_jsonl(folder / "mnli/train.jsonl", "mnli")
>>> check_file(folder / "stsb/validation.jsonl", "stsb")        # rows, or the error
1500
"""

from __future__ import annotations

import json
import logging
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pyarrow as pa
import pyarrow.compute as pc
from datasets import Dataset, load_dataset

from .errors import DataUnavailableError

__all__ = [
    "DATA_COLUMNS",
    "MANIFEST",
    "KitFile",
    "DATA_FILES",
    "GENRE_FILE",
    "count_rows",
    "LABEL_RULES",
    "line_problem",
    "first_bad_line",
    "table_problem",
    "read_checked",
    "check_file",
    "file_error",
    "file_problem",
    "TEXT_COLUMNS",
    "load_jsonl",
    "write_jsonl",
    "damaged",
    "DamagedFileError",
]

NLI = ("premise", "hypothesis", "label")
STSB = ("sentence1", "sentence2", "label")
GENRE = ("split", "idx", "genre", "source", "year")
# dataset (the file's folder, or "genre") -> the columns embedlab reads
DATA_COLUMNS: dict[str, tuple[str, ...]] = {"mnli": NLI, "snli": NLI, "stsb": STSB, "genre": GENRE}
# dataset -> its columns of sentences, which must hold text (a number would load, then fail
# deep inside the tokenizer)
TEXT_COLUMNS: dict[str, tuple[str, ...]] = {"mnli": NLI[:2], "snli": NLI[:2], "stsb": STSB[:2]}


# --- the catalogue of offline files (a lab kit, the shared data folder) -------------------
MANIFEST = "embedlab-kit.json"  # what a kit holds, written by `embedlab-labkit download`


@dataclass(frozen=True)
class KitFile:
    """One dataset file of a kit."""

    dataset: str  # "mnli", "snli" or "stsb"
    split: str  # the Hub split it holds, also its file name
    columns: tuple[str, ...]  # the columns embedlab reads
    required: bool = True  # False: only an optional helper reads it

    @property
    def path(self) -> str:
        """Its path inside the kit, e.g. ``mnli/train.jsonl``."""
        return f"{self.dataset}/{self.split}.jsonl"


DATA_FILES = (
    KitFile("mnli", "train", NLI),
    KitFile("mnli", "validation_matched", NLI),
    KitFile("snli", "train", NLI),
    KitFile("snli", "validation", NLI),
    KitFile("snli", "test", NLI),
    KitFile("stsb", "train", STSB),
    KitFile("stsb", "validation", STSB),
)
# Not on the Hub in GLUE's schema: derived from GENRE_SOURCE by matching sentence pairs.
GENRE_FILE = KitFile("stsb", "genre", GENRE, required=False)


def count_rows(path: str | Path) -> int:
    """Non-empty lines of a JSON Lines file (its rows), without parsing them."""
    with Path(path).open("rb") as handle:
        return sum(1 for line in handle if line.strip())


DAMAGED_FIX = (
    "The file is damaged or was edited: copy it again from the lab kit or the shared data "
    "folder (see its README); `embedlab-labkit verify <folder>` lists the first bad line of "
    "every file."
)
NLI_FILE_LABELS = (-1, 0, 1, 2)  # -1: no gold label (dropped when loading)


def _nli_label(value: Any) -> str | None:
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        if value in NLI_FILE_LABELS:
            return None
    return (
        f"label {value!r} is not an NLI label; labels are 0 (entailment), 1 (neutral), "
        "2 (contradiction) or -1 (no gold label)"
    )


def _stsb_label(value: Any) -> str | None:
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if not math.isnan(value) and 0 <= value <= 5:
            return None
    return f"label {value!r} is not an STS-B score; scores are numbers from 0 to 5"


# dataset -> what is wrong with one label (None: nothing)
LABEL_RULES: dict[str, Callable[[Any], str | None]] = {
    "mnli": _nli_label,
    "snli": _nli_label,
    "stsb": _stsb_label,
}


def line_problem(line: str, kind: str) -> tuple[dict, str | None]:
    """One JSON Lines record of dataset ``kind`` and what is wrong with it (``None``: nothing)."""
    columns = DATA_COLUMNS[kind]
    try:
        record = json.loads(line)
    except ValueError as error:
        return {}, f"not valid JSON ({error})"
    if not isinstance(record, dict):
        return {}, f"not a JSON object but {type(record).__name__} {line.strip()[:40]}"
    missing = [c for c in columns if c not in record]
    if missing:
        return record, f"lacks column(s) {missing}; each row needs {list(columns)}"
    empty = [c for c in columns if record[c] is None]
    if empty:
        return record, f"column(s) {empty} are null; each row needs a value in each"
    for column in TEXT_COLUMNS.get(kind, ()):
        if not isinstance(record[column], str):
            value = record[column]
            return record, (
                f"column {column!r} holds {short_json(value)} ({_json_kind(value)}), not text; "
                "each sentence must be a JSON string"
            )
    rule = LABEL_RULES.get(kind)
    return record, rule(record["label"]) if rule else None


def _json_kind(value: Any) -> str:
    """The JSON kind of a parsed value, in words."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, numbers.Number):
        return "a number"
    return {list: "a list", dict: "an object"}.get(type(value), type(value).__name__)


def short_json(value: Any, limit: int = 40) -> str:
    """``value`` as JSON on one line, cut to ``limit`` characters."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def first_bad_line(path: Path, kind: str) -> tuple[int, str] | None:
    """(line number, problem) of the first bad line of ``path``, or ``None`` if all are good."""
    number = 0
    try:
        with path.open(encoding="utf-8-sig") as handle:  # a leading BOM (Notepad) is skipped
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    problem = line_problem(line, kind)[1]
                    if problem:
                        return number, problem
    except UnicodeDecodeError:
        return number + 1, "not UTF-8 text"
    return None


class DamagedFileError(DataUnavailableError):
    """A data file that cannot be read as it should: names the file, the line and the fix."""

    def __init__(self, path: Path, line: int | None, problem: str) -> None:
        self.path, self.line, self.reason = path, line, problem
        self.problem = f"line {line:,}: {problem}" if line is not None else problem
        where = f"{path}, line {line:,}" if line is not None else str(path)
        super().__init__(f"{where}: {problem}. {DAMAGED_FIX}")


def damaged(path: Path, line: int | None, problem: str) -> DamagedFileError:
    """The error for a damaged data file: the file, the line, the problem and the fix."""
    return DamagedFileError(path, line, problem)


def table_problem(table: pa.Table, kind: str) -> str | None:
    """What is wrong with a loaded table of dataset ``kind``, found with Arrow (cheap)."""
    columns = DATA_COLUMNS[kind]
    if table.num_rows == 0:
        return EMPTY
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        return f"lacks column(s) {missing}"
    if any(table.column(c).null_count for c in columns):
        return "a null or missing value"
    text = [c for c in TEXT_COLUMNS.get(kind, ()) if not _is_text(table.column(c).type)]
    if text:
        return f"column(s) {text} hold something other than text"
    rule = LABEL_RULES.get(kind)
    if rule is None:
        return None
    labels = table.column("label")
    if not (pa.types.is_integer(labels.type) or pa.types.is_floating(labels.type)):
        return "labels that are not numbers"
    if kind == "stsb":
        if pa.types.is_floating(labels.type) and pc.any(pc.is_nan(labels)).as_py():
            return "a score that is NaN"
        low, high = (v.as_py() for v in pc.min_max(labels).values())
        if any(rule(v) for v in (low, high) if v is not None):
            return "a score outside 0-5"
        if table.num_rows > 1 and low == high:
            return (
                f"all {table.num_rows:,} scores are {low:g}: with no spread, a rank "
                "correlation (the STS-B score) is undefined (NaN)"
            )
        return None
    if not pa.types.is_integer(labels.type):
        return "a label that is not a whole number"
    odd = [v for v in pc.unique(labels).to_pylist() if rule(v)]
    return f"label(s) {sorted(odd)} outside -1..2" if odd else None


EMPTY = "it holds no rows (an empty file)"


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _raise_for(path: Path, kind: str, problem: str) -> NoReturn:
    """Raise :func:`damaged` with the first bad line found by scanning ``path``."""
    found = first_bad_line(path, kind)
    if found is None and count_rows(path) == 0:
        problem = EMPTY
    raise damaged(path, *(found if found else (None, problem)))


def read_checked(path: str | Path, kind: str) -> pa.Table:
    """Parse ``path`` (fast, with Arrow) and check every row: columns, text, labels.

    The one check that the loader, the doctor and ``embedlab-labkit verify`` share, so they
    cannot disagree about a file. Raises :class:`DamagedFileError` naming the first bad line.
    """
    import pyarrow.json as pajson

    path = Path(path)
    try:
        table = pajson.read_json(path)
    except (pa.ArrowException, OSError, ValueError) as error:
        _raise_for(path, kind, f"unreadable ({error})")
    problem = table_problem(table, kind)
    if problem:
        _raise_for(path, kind, problem)
    return table


def check_file(path: str | Path, kind: str) -> int:
    """Check ``path`` like :func:`read_checked`; return its rows."""
    return read_checked(path, kind).num_rows


# (path, kind, size, mtime) -> the file's error, or None
_CHECKED: dict[tuple[str, str, int, int], DamagedFileError | None] = {}


def file_error(path: str | Path, kind: str) -> DamagedFileError | None:
    """The error of data file ``path`` (see :func:`read_checked`), or ``None`` when good.

    Parsed once per version of the file (size and modification time), so that a notebook's
    first cell, which runs the doctor, and the loader after it stay quick.
    """
    path = Path(path)
    stat = path.stat()
    key = (str(path), kind, stat.st_size, stat.st_mtime_ns)
    if key not in _CHECKED:
        try:
            check_file(path, kind)
            _CHECKED[key] = None
        except DamagedFileError as error:
            _CHECKED[key] = error
    return _CHECKED[key]


def file_problem(path: str | Path, kind: str) -> str | None:
    """What is wrong with data file ``path`` (``"line 21: not valid JSON ..."``), or ``None``."""
    error = file_error(path, kind)
    return error.problem if error is not None else None


def load_jsonl(path: str | Path, kind: str) -> Dataset:
    """Load ``path`` with ``datasets``; a damaged file raises naming its first bad line."""
    from datasets.exceptions import DatasetGenerationError

    path = Path(path)
    found = file_error(path, kind)  # the doctor's and verify's check: they agree
    if found is not None:  # a fresh error: the cached one keeps no traceback
        raise DamagedFileError(found.path, found.line, found.reason)
    reader_log = logging.getLogger("datasets.packaged_modules.json.json")
    level = reader_log.level
    reader_log.setLevel(logging.CRITICAL)  # its "row 20" would contradict our line number
    try:
        dataset = load_dataset("json", data_files=str(path), split="train")
    except (DatasetGenerationError, pa.ArrowException) as error:
        _raise_for(path, kind, f"unreadable ({type(error).__name__})")
    finally:
        reader_log.setLevel(level)
    problem = table_problem(dataset.data.table, kind)
    if problem:
        _raise_for(path, kind, problem)
    return dataset


def write_jsonl(dataset: Dataset, target: str | Path) -> None:
    """Write ``dataset`` as JSON Lines; a half-written file never takes the final name."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    dataset.to_json(str(partial), lines=True, force_ascii=False)
    partial.replace(target)
