"""The genre of each STS-B pair (``main-captions``, ``main-news``, ``main-forum(s)``).

GLUE's STS-B on the Hub (``nyu-mll/glue``, config ``stsb``) lacks the genre; the STS
Benchmark as released (:data:`GENRE_SOURCE` on the Hub) has it. Genres are read, first found:

1. ``stsb/genre.jsonl`` in the offline folder (``$EMBEDLAB_DATA_DIR``: shared data, a lab kit);
2. embedlab's cache (``stsb-genre.jsonl`` in :func:`embedlab.sources.cache_dir`);
3. the Hub: GLUE's pairs matched with the benchmark's by their sentences, then cached, so a
   Colab session builds them once.

>>> genres = load_stsb_genres()            # {(split, idx): genre}
>>> genres[("validation", 0)]
'main-captions'
"""

from __future__ import annotations

import logging
from pathlib import Path

from datasets import Dataset, load_dataset

from .data import load_stsb
from .datafiles import GENRE_FILE, load_jsonl, write_jsonl
from .errors import DataUnavailableError, StorageError
from .sources import DATA_DIR_ENV, cache_dir, data_dir, hub_reachable

__all__ = [
    "GENRE_SOURCE",
    "GENRE_SPLITS",
    "match_genres",
    "genres_from_hub",
    "genre_source",
    "load_stsb_genres",
]

log = logging.getLogger(__name__)

GENRE_SOURCE = "mteb/stsbenchmark-sts"  # STS Benchmark as released: genre, corpus, year
GENRE_SPLITS = ("train", "validation")  # GLUE's labelled STS-B splits
CACHE_FILE = "stsb-genre.jsonl"  # in cache_dir(): genres built from the Hub


def _pair_key(sentence1: str, sentence2: str) -> tuple[str, str]:
    return " ".join(sentence1.split()).lower(), " ".join(sentence2.split()).lower()


def match_genres(split: str, glue: Dataset, benchmark: Dataset) -> list[dict]:
    """Genre rows (split, idx, genre, source, year) for GLUE's STS-B ``split``, by sentence pair.

    ``benchmark`` is the same split of :data:`GENRE_SOURCE`; pairs match whatever their
    spacing and case. Raises :class:`DataUnavailableError` when a column is missing or a GLUE
    pair has no match.
    """
    needed = ["sentence1", "sentence2", "genre", "dataset", "year"]
    missing = [c for c in needed if c not in benchmark.column_names]
    if missing:
        raise DataUnavailableError(
            f"{GENRE_SOURCE} {split} lacks column(s) {missing}; cannot derive the genres"
        )
    by_pair: dict[tuple[str, str], dict] = {}
    for row in benchmark:
        by_pair.setdefault(_pair_key(row["sentence1"], row["sentence2"]), row)
    rows, unmatched = [], 0
    for row in glue:
        match = by_pair.get(_pair_key(row["sentence1"], row["sentence2"]))
        if match is None:
            unmatched += 1
            continue
        rows.append(
            {
                "split": split,
                "idx": int(row["idx"]),
                "genre": match["genre"],
                "source": match["dataset"],
                "year": str(match["year"]),
            }
        )
    if unmatched:
        raise DataUnavailableError(
            f"{unmatched:,} of {len(glue):,} STS-B {split} pairs have no match in {GENRE_SOURCE}"
        )
    return rows


def genres_from_hub(*, folder: str | Path | None = None) -> Dataset:
    """Genre rows of GLUE's STS-B train and validation, matched with :data:`GENRE_SOURCE`.

    GLUE's pairs come from the offline folder when one is set, else from the Hub; the
    benchmark always from the Hub.
    """
    rows: list[dict] = []
    for split in GENRE_SPLITS:
        glue = load_stsb(split, folder=folder)
        rows += match_genres(split, glue, load_dataset(GENRE_SOURCE, split=split))
    return Dataset.from_list(rows)


def _cache_file() -> Path:
    return cache_dir() / CACHE_FILE


def genre_source(*, folder: str | Path | None = None) -> tuple[Path | None, str]:
    """Where the genres would be read from, without reading them: ``(file or None, in words)``.

    ``None`` with the words ``"the Hub ..."`` when they would be built from the Hub, and
    ``None`` with ``"nowhere ..."`` when no source has them (offline, no file, no cache).
    """
    local = data_dir(folder)
    if local is not None and (local / GENRE_FILE.path).is_file():
        return local / GENRE_FILE.path, f"offline folder ({GENRE_FILE.path})"
    try:
        cached = _cache_file()
    except StorageError as error:  # the cache folder cannot be made: no cache, say why
        cached = None
        if not hub_reachable():
            return None, f"nowhere: no offline file, and no cache ({error})"
    if cached is not None and cached.is_file():
        return cached, f"cache ({cached}), built from {GENRE_SOURCE}"
    if hub_reachable():
        return None, f"the Hub ({GENRE_SOURCE}), built and cached on first use"
    return None, "nowhere: no offline file, no cache, and the Hub is not reachable"


def load_stsb_genres(*, folder: str | Path | None = None) -> dict[tuple[str, int], str]:
    """Map (split, idx) of each STS-B train and validation row to its genre.

    Raises :class:`DataUnavailableError` saying how to get them when no source has them.
    """
    path, _where = genre_source(folder=folder)
    if path is None and hub_reachable():
        path = _cache_file()
        write_jsonl(genres_from_hub(folder=folder), path)
        log.info("built STS-B genres from %s into %s", GENRE_SOURCE, path)
    if path is None:
        raise DataUnavailableError(
            "STS-B genres (which pairs are captions, news or forums) are not available: "
            f"the offline data folder has no {GENRE_FILE.path}, none were built earlier, and "
            f"the Hugging Face Hub ({GENRE_SOURCE}) is not reachable. Connect to the internet "
            f"once, or point {DATA_DIR_ENV} at a lab kit that has {GENRE_FILE.path} "
            "(embedlab-labkit download, README 'For teachers')."
        )
    genres = load_jsonl(path, "genre")
    return {(r["split"], int(r["idx"])): r["genre"] for r in genres}
