"""Is this machine ready for the suite? Versions, hardware, profile, sources, run time.

``embedlab-doctor`` prints the full report, ``embedlab-doctor --short`` the few lines that
the first cell of every notebook shows (through :func:`embedlab.classroom.session.start`). Each problem comes
with its fix; the exit code is 1 when a problem blocks the suite.

>>> print(short_report("02_softmax_loss"))
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import sys
from dataclasses import dataclass, field
from pathlib import Path

import torch
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet

from .._version import __version__
from ..datafiles import DATA_FILES, GENRE_FILE, MANIFEST, count_rows, file_problem
from ..errors import InputError, ModelUnavailableError, StorageError
from ..models import MINILM_HUB_ID, kit_copy_problem, kit_models, locate_model, quick_base_path
from ..profiles import PROFILE_ENV, PROFILES, STANDIN, Profile, device_name, get_profile, precision
from ..sources import (
    CACHE_DIR_ENV,
    DATA_DIR_ENV,
    RUNS_DIR_ENV,
    cache_dir,
    data_dir,
    hub_offline_reason,
    hub_reachable,
    probe_hub,
)
from ..stsb_genres import GENRE_SOURCE, genre_source
from ..training.ledger import check_runs_dir

__all__ = ["measured_times", "Problem", "Diagnosis", "diagnose", "short_report", "main"]

# The run times the doctor and the notebooks announce: the notebook benchmark's seconds
# (benchmarks/run_notebooks.py, each notebook run alone, top to bottom, in a fresh kernel),
# which it copies into the package, so an installed copy (Colab) has them too. Never typed by
# hand; a profile never measured says "not measured".
RUN_TIMES = Path(__file__).resolve().parents[1] / "reference"


def measured_times(profile: str) -> tuple[dict[str, int], str | None]:
    """Seconds per notebook in ``profile`` from the notebook benchmark, and what measured them.

    ``({}, None)`` when the table is missing or unreadable.
    """
    path = RUN_TIMES / f"run-times-{profile}.json"
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
        times = {name: round(seconds) for name, seconds in table["seconds"].items()}
        machine = table["machine"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}, None
    gpu = machine.get("gpu", "none")
    on = f"a {machine.get('cores', '?')}-core CPU" if gpu in ("none", None) else f"a {gpu}"
    return dict(sorted(times.items())), on


KEY_LIBRARIES = ("torch", "sentence-transformers", "transformers", "datasets")


@dataclass(frozen=True)
class Problem:
    """Something that stops or weakens the suite on this machine, and how to fix it."""

    what: str
    fix: str
    blocks: bool = True  # False: the suite runs, but not as intended


@dataclass
class Diagnosis:
    """What :func:`diagnose` found: short-form facts, long-form details, problems."""

    profile: Profile
    facts: dict[str, str] = field(default_factory=dict)  # label -> one line (short form)
    details: list[str] = field(default_factory=list)  # extra lines for the full report
    problems: list[Problem] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        """True when a problem stops the suite."""
        return any(problem.blocks for problem in self.problems)

    def short(self) -> str:
        """A few lines: versions, profile, device, sources, run time, problems with fixes."""
        lines = self.short_facts() + self._problem_lines("(embedlab-doctor explains each line)")
        return "\n".join(lines)

    def full(self) -> str:
        """The short form's facts, then every check in detail."""
        lines = ["embedlab doctor", *self.short_facts(), "", *self.details, ""]
        return "\n".join(lines + self._problem_lines(""))

    def short_facts(self) -> list[str]:
        """The facts, one line each, labels aligned."""
        return [f"{label:8}: {text}" if label else text for label, text in self.facts.items()]

    def _problem_lines(self, all_clear: str) -> list[str]:
        if not self.problems:
            return [f"problems: none {all_clear}".rstrip()]
        lines = []
        for problem in self.problems:
            kind = "problem " if problem.blocks else "warning "
            lines += [f"{kind}: {problem.what}", f"  fix   : {problem.fix}"]
        return lines


# --- versions -------------------------------------------------------------------------------


def _installed(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _check_versions(diagnosis: Diagnosis) -> None:
    """Python and every core dependency against the ranges embedlab declares (pyproject)."""
    try:
        requirements = importlib.metadata.requires("embedlab") or []
        python_range = importlib.metadata.metadata("embedlab")["Requires-Python"] or ""
    except importlib.metadata.PackageNotFoundError:
        diagnosis.problems.append(
            Problem(
                "embedlab is imported from a folder but not installed, so its dependencies "
                "are unchecked",
                'from the repository: pip install -e ".[dev]" -c constraints/cpu.txt',
            )
        )
        requirements, python_range = [], ""
    python = platform.python_version()
    rows = [("Python", python, python_range)]
    for text in requirements:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue  # an optional extra (dev, mteb)
        rows.append((requirement.name, _installed(requirement.name), str(requirement.specifier)))
    outside = []
    diagnosis.details.append("versions (supported ranges from embedlab's pyproject)")
    for name, version, supported in rows:
        good = version is not None and SpecifierSet(supported).contains(version, prereleases=True)
        shown = version or "not installed"
        diagnosis.details.append(f"  {'ok' if good else 'BAD':4} {name} {shown} ({supported})")
        if not good:
            outside.append(name)
            fix = (
                f"install Python {supported} (a new virtual environment), then embedlab again"
                if name == "Python"
                else f'pip install "{name}{supported}"'
            )
            diagnosis.problems.append(
                Problem(f"{name} {shown} is outside the supported range {supported}", fix)
            )
    key = ", ".join(f"{n} {v}" for n, v, _ in rows if n in ("Python", *KEY_LIBRARIES) and v)
    verdict = (
        "all supported" if not outside else f"outside the supported range: {', '.join(outside)}"
    )
    diagnosis.facts[""] = f"embedlab {__version__} with {key} ({verdict})"


# --- hardware and profile -------------------------------------------------------------------


def _describe_device() -> str:
    device = device_name()
    if device == "cuda":
        props = torch.cuda.get_device_properties(0)
        device = f"cuda ({props.name}, {props.total_memory / 2**30:.0f} GB)"
    return f"{device}, mixed precision: {precision()}"


def _choose_profile(name: str | None, diagnosis_problems: list[Problem]) -> tuple[Profile, str]:
    automatic = "full" if device_name() == "cuda" else "quick"
    reason = "automatic: GPU found" if automatic == "full" else "automatic: no GPU found"
    try:
        profile = get_profile(name)
    except InputError as error:
        diagnosis_problems.append(
            Problem(str(error), f"set {PROFILE_ENV} to quick or full, or unset it")
        )
        return get_profile(automatic), reason
    if name:
        return profile, "asked for"
    if os.environ.get(PROFILE_ENV):
        return profile, f"{PROFILE_ENV}={os.environ[PROFILE_ENV]}"
    return profile, reason


# --- sources --------------------------------------------------------------------------------


def _check_data(diagnosis: Diagnosis, hub: bool) -> None:
    profile, folder = diagnosis.profile, data_dir()
    diagnosis.details.append("datasets")
    if folder is not None and not folder.is_dir():
        what = "a file, not a folder" if folder.exists() else "which does not exist"
        diagnosis.facts["data"] = f"${DATA_DIR_ENV} = {folder}, {what}"
        diagnosis.problems.append(
            Problem(
                f"${DATA_DIR_ENV} points at {folder}, {what}",
                "set it to the folder that holds mnli/, snli/ and stsb/ (the lab kit's "
                "folder), or unset it to load from the Hub",
            )
        )
        return
    if folder is None:
        if hub:
            diagnosis.facts["data"] = "Hugging Face Hub (nyu-mll/glue, stanfordnlp/snli)"
            diagnosis.details.append("  ok   every dataset from the Hub")
            _check_genres(diagnosis)
        else:
            diagnosis.facts["data"] = f"none: the Hub is not reachable and ${DATA_DIR_ENV} is unset"
            diagnosis.details.append("  BAD  no source for any dataset")
            diagnosis.problems.append(
                Problem(
                    f"no datasets: the Hub is not reachable and ${DATA_DIR_ENV} is not set",
                    f"connect to the internet, or set {DATA_DIR_ENV} to a lab kit "
                    "(README, 'For teachers')",
                )
            )
        return
    present = 0
    diagnosis.details.append(f"  ${DATA_DIR_ENV} = {folder}")
    for kit_file in DATA_FILES:
        path = folder / kit_file.path
        if path.is_file() and not _damaged(diagnosis, path, kit_file.path, kit_file.dataset):
            present += 1
            diagnosis.details.append(f"  ok   {kit_file.path} from the offline folder")
        elif not path.is_file():
            diagnosis.details.append(f"  BAD  {kit_file.path} missing from the offline folder")
            diagnosis.problems.append(
                Problem(
                    f"{kit_file.path} is missing from ${DATA_DIR_ENV}; embedlab will not fetch "
                    "it from the Hub while the variable is set",
                    f'embedlab-labkit verify "${DATA_DIR_ENV}", then copy the kit again '
                    "(or unset the variable to use the Hub)",
                )
            )
    genre = folder / GENRE_FILE.path
    if genre.is_file():
        if not _damaged(diagnosis, genre, GENRE_FILE.path, "genre"):
            diagnosis.details.append(f"  ok   {GENRE_FILE.path} from the offline folder")
    else:
        _check_genres(diagnosis)
    files = [folder / f"{entry}.jsonl" for entry in profile.train_splits]
    rows = sum(count_rows(path) for path in files if path.is_file())
    if all(path.is_file() for path in files) and rows < profile.n_train:
        what = (
            "the offline MNLI train split has"
            if profile.train_splits == ("mnli/train",)
            else f"the offline training splits ({', '.join(profile.train_splits)}) have"
        )
        diagnosis.problems.append(
            Problem(
                f"{what} {rows:,} rows; the {profile.name} profile trains on {profile.n_train:,}",
                f"use a kit downloaded for it (embedlab-labkit download --profile {profile.name}),"
                f" or {PROFILE_ENV}=quick",
            )
        )
    kind = "offline folder"
    if (folder / MANIFEST).is_file():
        try:
            made_for = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["profile"]
            kind = f"lab kit for the {made_for} profile"
        except (OSError, ValueError, KeyError, TypeError):
            kind = "lab kit (unreadable manifest)"
    diagnosis.facts["data"] = (
        f"{kind} ${DATA_DIR_ENV} ({present} of {len(DATA_FILES)} files)"
        if present < len(DATA_FILES)
        else f"{kind} ${DATA_DIR_ENV}"
    )


def _check_genres(diagnosis: Diagnosis) -> None:
    """STS-B genres (notebook 07, the TSDAE panel, the genre map): a problem when nowhere."""
    try:
        cache_dir()  # the genres built from the Hub are kept there
    except StorageError as error:
        diagnosis.details.append(f"  BAD  cache folder: {error}")
        diagnosis.problems.append(
            Problem(
                f"the cache folder cannot be used, so STS-B genres cannot be kept: {error}",
                f"point {CACHE_DIR_ENV} at a writable folder (or unset it), or point "
                f"{DATA_DIR_ENV} at a lab kit with {GENRE_FILE.path}",
            )
        )
        return
    path, where = genre_source()
    if path is not None or hub_reachable():  # a file, or built from the Hub on first use
        diagnosis.details.append(f"  ok   STS-B genres: {where}")
        return
    diagnosis.details.append(f"  BAD  STS-B genres: {where}")
    diagnosis.problems.append(
        Problem(
            f"STS-B genres are not available ({where}); notebook 07 scores on STS-B captions "
            "and stops without them",
            f"connect to the internet once (they are built from {GENRE_SOURCE} and cached), or "
            f"point {DATA_DIR_ENV} at a lab kit with {GENRE_FILE.path}",
        )
    )


def _damaged(diagnosis: Diagnosis, path: Path, name: str, kind: str) -> bool:
    """Parse a data file (once per version); note a damaged one as a problem."""
    problem = file_problem(path, kind)
    if problem is None:
        return False
    diagnosis.details.append(f"  BAD  {name}: {problem}")
    diagnosis.problems.append(
        Problem(
            f"{path} is damaged: {problem}",
            "copy the file again from the lab kit or the shared data folder (see its README); "
            f'embedlab-labkit verify "${DATA_DIR_ENV}" lists the first bad line of every file',
        )
    )
    return True


def _check_runs(diagnosis: Diagnosis) -> None:
    """The runs folder takes a saved model and a ledger record (checked, not assumed)."""
    try:
        folder = check_runs_dir()
    except OSError as error:  # StorageError, or a runs path that cannot even be made
        diagnosis.details.append(f"  BAD  runs folder: {error}")
        diagnosis.problems.append(
            Problem(
                f"the runs folder cannot be written, so no run could be saved: {error}",
                f"point {RUNS_DIR_ENV} at a writable folder, or make this one writable",
            )
        )
        return
    diagnosis.details.append(f"  ok   runs folder {folder} is writable")


def _model_short_name(name: str) -> str:
    return name.split("/")[-1]


def _check_models(diagnosis: Diagnosis) -> None:
    profile = diagnosis.profile
    diagnosis.details.append("models")
    where: dict[str, str] = {}
    for name in kit_models(profile):
        broken = kit_copy_problem(name)
        try:
            where[name] = locate_model(name)[1]
            diagnosis.details.append(f"  ok   {name}: {where[name]}")
            if broken is not None:  # skipped for another source: said, so it gets fixed
                folder, problem = broken
                diagnosis.details.append(f"  BAD  {name}: the lab kit's copy cannot load")
                diagnosis.problems.append(
                    Problem(
                        f"the lab kit's copy of {name} in {folder} cannot load ({problem}); "
                        f"embedlab uses the {where[name]} instead",
                        f'copy the folder again from the kit (embedlab-labkit verify "${DATA_DIR_ENV}"'
                        " checks it), or delete it",
                        blocks=False,
                    )
                )
        except ModelUnavailableError as error:
            diagnosis.details.append(f"  BAD  {name} unavailable")
            if name == profile.base_model:
                diagnosis.problems.append(
                    Problem(
                        f"{name} is neither on a reachable Hub nor in a lab kit: embedlab's quick "
                        "base replaces it and scores stay below the book's",
                        "connect to the internet, or use a kit with it "
                        "(embedlab-labkit download --profile full)",
                        blocks=False,
                    )
                )
            else:
                diagnosis.problems.append(Problem(f"{name} is unavailable", str(error)))
    try:  # the quick profile's base, and the full profile's stand-in when bert-base is missing
        diagnosis.details.append(f"  ok   embedlab's quick base: {quick_base_path()}")
    except ModelUnavailableError as error:
        diagnosis.details.append("  BAD  embedlab's quick base is damaged")
        what, _, fix = str(error).partition(". Restore it: ")
        diagnosis.problems.append(Problem(what, f"restore it: {fix}"))
    minilm = _model_short_name(MINILM_HUB_ID)
    if profile.base_model == STANDIN:
        base = "embedlab's quick base (4-layer BERT pre-trained by masked-LM, shipped)"
    elif profile.base_model in where:
        base = f"{profile.base_model} ({where[profile.base_model]})"
    else:
        base = f"embedlab's quick base (replaces {profile.base_model}, unavailable here)"
    pretrained = f"{minilm} ({where.get(MINILM_HUB_ID, 'unavailable')})"
    diagnosis.facts["models"] = f"base = {base}; pretrained = {pretrained}"


# --- run time -------------------------------------------------------------------------------


def _minutes(seconds: int) -> str:
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def _measured(table: dict[str, int], notebook: str) -> int | None:
    """Measured seconds for ``notebook`` (its full name, or just its number like ``"02"``)."""
    number = notebook.split("_")[0]
    for measured, seconds in table.items():
        if measured == notebook or measured.split("_")[0] == number:
            return seconds
    return None


def _check_run_time(diagnosis: Diagnosis, notebook: str | None) -> None:
    profile = diagnosis.profile.name
    table, on = measured_times(profile)
    diagnosis.details.append(
        f"run time of each notebook, {profile} profile"
        + (f" (notebook benchmark on {on})" if on else ": not measured")
    )
    diagnosis.details += [f"  {nb:34} {_minutes(s)}" for nb, s in table.items()]
    if notebook is not None:
        seconds = _measured(table, notebook)
        diagnosis.facts["run time"] = (
            f"about {_minutes(seconds)} in the {profile} profile (measured on {on})"
            if seconds is not None
            else f"not measured for {notebook} in the {profile} profile"
        )
    elif table:
        listed = ", ".join(f"{nb.split('_')[0]} {_minutes(s)}" for nb, s in table.items())
        diagnosis.facts["run time"] = f"{listed} (notebooks, measured on {on})"
    else:
        diagnosis.facts["run time"] = f"not measured in the {profile} profile"
    if profile == "full" and device_name() != "cuda":
        diagnosis.problems.append(
            Problem(
                f"the full profile on {device_name()}: bert-base takes about 6 s a training step "
                "without a GPU, so each notebook takes hours",
                f"use a machine with a CUDA GPU (Colab: Runtime -> GPU), or {PROFILE_ENV}=quick",
                blocks=False,
            )
        )


# --- entry points ---------------------------------------------------------------------------


def diagnose(notebook: str | None = None, *, profile: str | None = None) -> Diagnosis:
    """Check this machine for the suite.

    Args:
        notebook: a notebook's name (``"02_softmax_loss"``) or number, for its run time.
        profile: ``"quick"`` or ``"full"`` to ask about that profile; default the one
            :func:`embedlab.profiles.get_profile` chooses.
    """
    problems: list[Problem] = []
    chosen, chosen_by = _choose_profile(profile, problems)
    diagnosis = Diagnosis(profile=chosen, problems=problems)
    _check_versions(diagnosis)
    diagnosis.facts["profile"] = f"{chosen.name} ({chosen_by})"
    diagnosis.facts["device"] = _describe_device()
    hub = hub_reachable()
    reason = hub_offline_reason()
    if not hub and not reason and os.environ.get("HF_ENDPOINT"):
        reason = probe_hub()  # say why: no answer, or a server that is not a Hub
        if reason and "not a Hub" in reason:
            diagnosis.problems.append(
                Problem(
                    f"HF_ENDPOINT={os.environ['HF_ENDPOINT']} is not a Hugging Face Hub "
                    f"({reason}), so nothing can be downloaded from it",
                    "correct HF_ENDPOINT (a Hub mirror's address), or unset it to use "
                    "https://huggingface.co",
                )
            )
    diagnosis.facts["hub"] = (
        "reachable"
        if hub
        else f"not reachable ({reason or 'no answer within 3 s'}; working offline)"
    )
    _check_data(diagnosis, hub)
    diagnosis.details.append("runs")
    _check_runs(diagnosis)
    _check_models(diagnosis)
    _check_run_time(diagnosis, notebook)
    return diagnosis


def short_report(notebook: str | None = None, *, profile: str | None = None) -> str:
    """The short form that each notebook's first cell prints (see :func:`diagnose`)."""
    return diagnose(notebook, profile=profile).short()


def main(argv: list[str] | None = None) -> int:
    """``embedlab-doctor [--short] [--profile P] [--notebook NAME]``; exit 1 when blocked."""
    parser = argparse.ArgumentParser(
        prog="embedlab-doctor",
        description="Check this machine for the embedlab notebooks; each problem with its fix.",
    )
    parser.add_argument("--short", action="store_true", help="the few lines a notebook shows")
    parser.add_argument("--profile", choices=sorted(PROFILES), help="ask about this profile")
    parser.add_argument("--notebook", help="a notebook's name or number, for its run time")
    args = parser.parse_args(argv)
    diagnosis = diagnose(args.notebook, profile=args.profile)
    print(diagnosis.short() if args.short else diagnosis.full())
    return 1 if diagnosis.blocked else 0


if __name__ == "__main__":
    sys.exit(main())
