"""Folders the suite writes (trained models, the quick base model): whole, or not at all.

A folder is written beside its target under a hidden temporary name, given a manifest
(each file's size and SHA-256) and only then moved into place, so a process killed while
writing leaves the earlier folder intact and loadable. Readers check the manifest, so a
truncated or emptied file is reported by name instead of loading as garbage.

>>> write_folder(runs / "models" / "x", lambda folder: model.save(str(folder)))
>>> manifest_problem(runs / "models" / "x")        # None when every file matches
>>> safe_name("../../escape")                      # "escape": a name that stays a name
>>> distinct_name("02/x"), distinct_name("02-x")   # "02-x~<8 hex digits>", "02-x": never alike
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

from .errors import InputError, StorageError

__all__ = [
    "MANIFEST",
    "safe_name",
    "distinct_name",
    "space_needed",
    "write_manifest",
    "manifest_problem",
    "write_folder",
]

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.+-]+")
_verified: set[tuple[str, tuple[tuple[str, int, int], ...]]] = set()


def safe_name(name: str) -> str:
    """``name`` as one folder name: runs of characters other than letters, digits and
    ``_.+-`` become one ``-``, and no ``..``, ``--`` or leading dot is left (``"../../x"`` ->
    ``"x"``), so the name cannot leave the folder it is joined to.

    Raises :class:`InputError` when nothing usable is left.
    """
    slug = _UNSAFE.sub("-", str(name))
    slug = re.sub(r"-{2,}", "-", re.sub(r"\.{2,}", "-", slug)).strip("-.")
    if not slug:
        raise InputError(
            f"the name {name!r} cannot become a folder name: use letters, digits and _.+- "
            "(for example notebook='02_softmax_loss', recipe='softmax')"
        )
    return slug


def distinct_name(name: str) -> str:
    """:func:`safe_name` of ``name``, plus ``~`` and 8 hex digits of the raw name's SHA-256
    when making it safe changed it: ``"02/x"`` -> ``"02-x~1b9c7d2e"``, ``"02-x"`` ->
    ``"02-x"``. Names that become alike keep apart (``~`` is never in a name left as it was),
    so two runs never share one folder.
    """
    slug = safe_name(name)
    if slug == name:
        return slug
    return f"{slug}~{hashlib.sha256(str(name).encode('utf-8')).hexdigest()[:8]}"


def space_needed(model: Any) -> int:
    """Bytes a saved copy of ``model`` (a torch module) needs on disk, with room to spare: its
    parameters' and buffers' bytes, plus a tenth and 16 MiB (tokenizer, config, manifest)."""
    tensors = [*model.parameters(), *model.buffers()]
    size = sum(t.numel() * t.element_size() for t in tensors)
    return size + size // 10 + 16 * 2**20


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)


def write_manifest(folder: str | os.PathLike[str]) -> dict[str, dict[str, int | str]]:
    """Write ``manifest.json`` in ``folder``: each file's size in bytes and SHA-256."""
    folder = Path(folder)
    files = {
        p.relative_to(folder).as_posix(): {"bytes": p.stat().st_size, "sha256": _sha256(p)}
        for p in _files(folder)
    }
    partial = folder / f".{MANIFEST}.partial"
    partial.write_text(json.dumps({"files": files}, indent=1, sort_keys=True) + "\n")
    partial.replace(folder / MANIFEST)
    return files


def _read_manifest(folder: Path) -> dict[str, dict] | str:
    """The manifest's files, or why it cannot be read."""
    path = folder / MANIFEST
    if not path.is_file():
        return f"{MANIFEST} is missing"
    try:
        files = json.loads(path.read_text(encoding="utf-8"))["files"]
    except (ValueError, KeyError, TypeError, OSError) as error:
        return f"{MANIFEST} cannot be read ({type(error).__name__})"
    if not isinstance(files, dict) or not all(isinstance(v, dict) for v in files.values()):
        return f"{MANIFEST} does not list files"
    return files


def manifest_problem(folder: str | os.PathLike[str]) -> str | None:
    """What is wrong with ``folder`` against its manifest, in words; ``None`` when all match.

    A missing, empty, truncated or altered file is named. A folder already verified is not
    hashed again until one of its files changes (size or modification time).
    """
    folder = Path(folder)
    files = _read_manifest(folder)
    if isinstance(files, str):
        return files
    stamps = []
    for name, expected in sorted(files.items()):
        path = folder / name
        if not path.is_file():
            return f"{name} is missing"
        size = path.stat().st_size
        if size != expected.get("bytes"):
            if size == 0:
                return f"{name} is empty (0 bytes; {expected.get('bytes')} expected)"
            return f"{name} has {size} bytes, {expected.get('bytes')} expected (a partial write)"
        stamps.append((name, size, path.stat().st_mtime_ns))
    key = (str(folder.resolve()), tuple(stamps))
    if key in _verified:
        return None
    for name, expected in sorted(files.items()):
        if _sha256(folder / name) != expected.get("sha256"):
            return f"{name} does not match its SHA-256 checksum (altered or damaged)"
    _verified.add(key)
    return None


def _pid_of(path: Path) -> int | None:
    try:
        return int(path.name.rsplit("-", 1)[1])
    except (IndexError, ValueError):
        return None


def _tidy(target: Path) -> None:
    """Clear what an earlier, killed write of ``target`` left beside it.

    A partial folder of a process that is gone is removed. A kept earlier folder
    (``.<name>.old-<pid>``) is moved back when ``target`` is missing (a kill between the two
    renames of :func:`_replace`), else removed.
    """
    for leftover in sorted(target.parent.glob(f".{target.name}.partial-*")):
        pid = _pid_of(leftover)
        if pid is None or pid == os.getpid() or not psutil.pid_exists(pid):
            shutil.rmtree(leftover, ignore_errors=True)
    for old in sorted(target.parent.glob(f".{target.name}.old-*")):
        pid = _pid_of(old)
        if pid is not None and pid != os.getpid() and psutil.pid_exists(pid):
            continue  # another process is replacing the folder right now
        if not target.exists():
            old.replace(target)
            log.warning("restored %s from an interrupted save", target)
        else:
            shutil.rmtree(old, ignore_errors=True)


def _replace(partial: Path, target: Path) -> None:
    """Move ``partial`` to ``target``; an earlier ``target`` is set aside first, then removed."""
    if not (target.exists() or target.is_symlink()):
        partial.replace(target)
        return
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    shutil.rmtree(old, ignore_errors=True)
    target.replace(old)
    try:
        partial.replace(target)
    except BaseException:
        old.replace(target)  # put the earlier folder back
        raise
    if old.is_dir() and not old.is_symlink():
        shutil.rmtree(old, ignore_errors=True)
    else:
        old.unlink(missing_ok=True)


_STORAGE_ERRNOS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EFBIG: "a file grew too large for the disk",
    errno.EACCES: "the folder is not writable",
    errno.EPERM: "the folder is not writable (immutable or locked)",
    errno.EROFS: "the file system is read-only",
}


def _storage_problem(error: BaseException) -> str | None:
    """What a failed write says about the disk, in words; ``None`` for another failure.

    Libraries that write for themselves (safetensors, torch) raise their own errors with the
    operating system's message inside, so the message is searched too.
    """
    code = getattr(error, "errno", None)
    text = str(error)
    for number, problem in _STORAGE_ERRNOS.items():
        if code == number or os.strerror(number) in text:
            where = getattr(error, "filename", None)
            return f"{problem} ({os.strerror(number)}{f': {where}' if where else ''})"
    return None


def write_folder(
    target: str | os.PathLike[str],
    write: Callable[[Path], object],
    *,
    manifest: bool = True,
    fix: str = "",
) -> Path:
    """Call ``write(folder)`` on a fresh temporary folder beside ``target``, add a manifest,
    then move it into place; return ``target``.

    If ``write`` fails or the process is killed, ``target`` is left as it was (the
    temporary folder is removed now, or by the next write of the same target). A full disk or
    a folder that cannot be written raises :class:`StorageError` naming it, then ``fix``
    (default: free space or make the folder writable).
    """
    target = Path(target)
    existed = target.exists()
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _tidy(target)
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
        write(partial)
        if manifest:
            write_manifest(partial)
        _replace(partial, target)
    except BaseException as error:
        shutil.rmtree(partial, ignore_errors=True)
        problem = _storage_problem(error)
        if problem is None:
            raise
        kept = "the earlier folder there is unchanged" if existed else "nothing was saved there"
        raise StorageError(
            f"{target} could not be written: {problem}; {kept}. "
            + (fix or f"Free some space or make {target.parent} writable, and try again.")
        ) from error
    return target
