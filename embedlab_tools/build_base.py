"""Build the quick profile's base model: ``embedlab-build-base`` (or ``python -m embedlab_tools.build_base``).

Pre-trains a small BERT by masked-LM (:mod:`embedlab.methods.pretraining`) on the offline NLI
sentences, probing STS-B along the way, and writes it where the package ships it:

    embedlab/base_model/model.safetensors   weights (16-bit precision, stored as 32-bit)
    embedlab/base_model/config.json, tokenizer files
    embedlab/base_model/build.json          settings, time, loss curve, STS-B probe, digest

Run with no options, it repeats the recorded build: the settings are read from the shipped
``build.json`` so that the same command reproduces the shipped weights on the same machine
(one PyTorch thread; other thread counts may round differently). ``--steps`` and friends
build a variant into ``--out`` instead.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from embedlab.artefacts import write_folder
from embedlab.errors import EmbedlabError
from embedlab.methods.pretraining import (
    BUILD_RECORD,
    PretrainingSettings,
    pretrain,
    pretraining_sentences,
    shipped_build_record,
    shipped_settings,
    weights_digest,
)
from embedlab.models import SHIPPED_BASE

__all__ = [
    "SHIPPED_BASE",
    "BUILD_RECORD",
    "shipped_build_record",
    "shipped_settings",
    "out_problem",
    "build_base",
    "main",
]


def _sts_probe(model, tokenizer, max_length: int) -> dict[str, float]:
    """STS-B validation Spearman of the encoder under mean and [CLS] pooling (no training)."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling

    from embedlab.evaluation import evaluate_sts, stsb_evaluator
    from embedlab.models import _quiet_transformer

    with tempfile.TemporaryDirectory() as scratch:
        model.bert.save_pretrained(scratch)
        tokenizer.save_pretrained(scratch)
        scores = {}
        for pooling in ("mean", "cls"):
            encoder = _quiet_transformer(scratch, max_seq_length=max_length)
            pool = Pooling(encoder.get_embedding_dimension(), pooling_mode=pooling)
            st = SentenceTransformer(modules=[encoder, pool], device="cpu")
            scores[pooling] = evaluate_sts(st, stsb_evaluator())["spearman_cosine"]
    return scores


def build_base(
    settings: PretrainingSettings,
    out: Path,
    *,
    probe_every: int = 1_000,
    log_every: int = 50,
    checkpoints: Path | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """Pre-train with ``settings`` and save the model and its build record in ``out``.

    The folder is written beside ``out`` under a temporary name, given a manifest (each
    file's size and SHA-256, checked by :func:`embedlab.models.quick_base_path`) and moved
    into place only when complete, so an interrupted build never leaves weights that load.
    ``out`` must be missing, empty or an earlier build (see :func:`out_problem`) unless
    ``force``: an :class:`EmbedlabError` otherwise, checked before training and again before
    the write.
    """
    _check_out(out, force)
    sentences = pretraining_sentences()
    probes: list[dict[str, Any]] = []
    state: dict[str, Any] = {}

    def on_log(step: int, loss: float) -> None:
        print(f"step {step:>6}  masked-LM loss {loss:.3f}", flush=True)
        if probe_every and step % probe_every == 0 and "model" in state:
            scores = _sts_probe(state["model"], state["tokenizer"], settings.max_length)
            state["model"].train()
            probes.append({"step": step, "loss": round(loss, 4), **scores})
            if checkpoints is not None:  # for trying recipes on the way (not shipped)
                folder = Path(checkpoints) / f"step{step}"
                state["model"].save_pretrained(folder)
                state["tokenizer"].save_pretrained(folder)
            print(f"           STS-B (untrained, mean / cls): {scores}", flush=True)

    from embedlab.methods.pretraining import new_masked_lm

    model, tokenizer = new_masked_lm(settings)
    state.update(model=model, tokenizer=tokenizer)
    start_scores = _sts_probe(model, tokenizer, settings.max_length)
    probes.append({"step": 0, **start_scores})
    result = pretrain(
        settings, sentences, model=model, tokenizer=tokenizer, log_every=log_every, on_log=on_log
    )
    record = {
        **result.summary(),
        "sts_probe": probes,
        "digest": weights_digest(result.model),
        "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": "embedlab-build-base",
    }
    # rounded to 16-bit precision (what the notebooks need), stored as 32-bit floats so that
    # every loader (CrossEncoder, TSDAE's decoder) gets float32 weights without being told
    result.model.to(torch.float16).to(torch.float32)
    record["shipped_digest"] = weights_digest(result.model)  # what the shipped file holds
    record["shipped_precision"] = "the build's weights rounded to 16-bit floats, stored as 32-bit"

    def write(folder: Path) -> None:
        result.model.save_pretrained(folder)
        tokenizer.save_pretrained(folder)
        (folder / BUILD_RECORD).write_text(json.dumps(record, indent=1) + "\n")

    _check_out(out, force)  # again: something may have appeared there while training
    write_folder(out, write)  # with a manifest; in place only when complete
    return record


def out_problem(out: Path) -> str | None:
    """Why writing a build into ``out`` would delete what the build did not make; ``None``
    when ``out`` is missing, an empty folder or an earlier build (its ``build.json``)."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        return f"--out {out} is a file, not a folder; the build would replace it"
    if not out.exists() or not any(out.iterdir()):
        return None
    try:
        record = json.loads((out / BUILD_RECORD).read_text(encoding="utf-8"))
        earlier = isinstance(record, dict) and "settings" in record
    except (OSError, ValueError):
        earlier = False
    if earlier:
        return None
    return (
        f"--out {out} is a folder that holds files but no earlier build ({BUILD_RECORD}); "
        "the build would replace all of them"
    )


def _check_out(out: Path, force: bool) -> None:
    problem = None if force else out_problem(Path(out))
    if problem:
        raise EmbedlabError(f"{problem}: choose a new or empty folder, or pass force=True")


def _yes(text: str) -> bool:
    return text.strip().lower() in {"1", "true", "yes", "on"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="embedlab-build-base", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--out", type=Path, default=None, help="folder to write (default: the package's)"
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="PyTorch threads (default: as recorded)"
    )
    parser.add_argument(
        "--force", action="store_true", help="replace --out even when it is not an earlier build"
    )
    parser.add_argument("--probe-every", type=int, default=1_000)
    parser.add_argument(
        "--checkpoints", type=Path, default=None, help="also save each probed step here"
    )
    for field in dataclasses.fields(PretrainingSettings):
        kind = _yes if isinstance(field.default, bool) else type(field.default)
        parser.add_argument(f"--{field.name.replace('_', '-')}", type=kind, default=None)
    args = parser.parse_args(argv)
    out = args.out or SHIPPED_BASE
    problem = None if args.force else out_problem(out)
    if problem:  # before an hour of training, and nothing of the user's is touched
        print(
            f"embedlab-build-base: {problem}: choose a new or empty folder, or add --force "
            "to replace it",
            file=sys.stderr,
        )
        return 2
    try:
        shipped = shipped_build_record()
    except EmbedlabError:
        shipped = {}
    recorded = shipped.get("settings", {})
    torch.set_num_threads(args.threads or shipped.get("threads") or 1)
    changes = {
        f.name: getattr(args, f.name)
        for f in dataclasses.fields(PretrainingSettings)
        if getattr(args, f.name) is not None
    }
    settings = PretrainingSettings(**{**recorded, **changes})
    if changes and args.out is None:
        print("settings differ from the recorded build: give --out for a variant", file=sys.stderr)
        return 2
    print(f"pre-training {settings} -> {out}", flush=True)
    record = build_base(
        settings,
        out,
        probe_every=args.probe_every,
        checkpoints=args.checkpoints,
        force=args.force,
    )
    print(json.dumps({k: v for k, v in record.items() if k != "loss_curve"}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
