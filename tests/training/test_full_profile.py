"""The full profile, proven on a CPU: every recipe's run as it would start on a GPU, untrained.

A GPU is simulated by answering torch's CUDA questions (available, bf16 or not); no CUDA call
is made. What a GPU run would train with is built by the same functions the run uses.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
from accelerate.state import AcceleratorState
from transformers.utils import import_utils

import embedlab as el
from embedlab.batching import length_grouped_sampler
from embedlab.evaluation import stsb_evaluator
from embedlab.training.recipes import RECIPES

REPO = Path(__file__).resolve().parents[2]
BOOK_MODELS = {"bert-base-uncased", "sentence-transformers/all-MiniLM-L6-v2"}
HARDWARE_CHECKS = [  # transformers caches these answers for the whole process
    name
    for name in ("is_torch_cuda_available", "is_torch_accelerator_available", "is_cuda_platform")
    + ("is_torch_bf16_gpu_available", "is_torch_fp16_available_on_device")
    + ("is_torch_bf16_available_on_device", "is_torch_tf32_available")
    if hasattr(getattr(import_utils, name, None), "cache_clear")
]


def _forget_hardware() -> None:
    """Drop what transformers and accelerate remember about the hardware (cached answers)."""
    for name in HARDWARE_CHECKS:
        getattr(import_utils, name).cache_clear()
    AcceleratorState._reset_state(reset_partial_state=True)


GPUS = {"A100": (8, 0), "T4": (7, 5)}  # name -> compute capability


def _fake_bf16_answer(capability: tuple[int, int]):
    """``torch.cuda.is_bf16_supported`` as torch answers it on a GPU of ``capability``:
    natively from 8.0 on; below that only by emulation, which the default counts as True."""

    def is_bf16_supported(including_emulation: bool = True) -> bool:
        return capability >= (8, 0) or including_emulation

    return is_bf16_supported


@pytest.fixture(params=sorted(GPUS), ids=lambda name: f"{name}-gpu")
def gpu(request, monkeypatch):
    """One simulated CUDA GPU answering as an A100 or a T4 does; yields native bf16 support."""
    capability = GPUS[request.param]
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda *a, **k: capability)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", _fake_bf16_answer(capability))
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "set_device", lambda device: None)
    _forget_hardware()
    yield capability >= (8, 0)
    monkeypatch.undo()
    _forget_hardware()  # later tests see the real machine again


def test_full_profile_is_the_books_scale():
    full = el.profiles.FULL
    assert (full.n_train, full.epochs, full.batch_size, full.learning_rate) == (50_000, 1, 32, 5e-5)
    assert (full.base_model, full.pretrained_model) == tuple(sorted(BOOK_MODELS))
    assert full.warmup_steps == 100


def test_a_t4_trains_in_fp16_although_torch_says_it_can_emulate_bf16(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda *a, **k: GPUS["T4"])
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", _fake_bf16_answer(GPUS["T4"]))
    assert torch.cuda.is_bf16_supported()  # torch's default answer on a T4: by emulation
    assert el.profiles.precision() == "fp16"


def test_a_gpu_chooses_the_full_profile(gpu, monkeypatch):
    monkeypatch.delenv("EMBEDLAB_PROFILE", raising=False)
    assert el.profiles.get_profile() is el.profiles.FULL
    assert el.profiles.precision() == ("bf16" if gpu else "fp16")


def _full_trainer(name, standin, tmp_path, batch=8):
    """The trainer ``name``'s run would build under the full profile (the stand-in and a few
    MNLI rows in place of bert-base and 50,000 rows: the arguments and loss are the same)."""
    recipe = RECIPES[name]
    mnli = el.load_nli("mnli", "train", n_rows=200)  # offline: a sample of the 50,000 rows
    dataset = recipe.training_set(el.profiles.FULL, mnli)
    settings = recipe.settings(el.profiles.FULL)
    unused = stsb_evaluator(rows=[0, 1])
    return recipe.trainer(standin, dataset, settings, unused, output_dir=str(tmp_path)), dataset


class _Captured:
    """Stands in for SentenceTransformerTrainer: keeps what a recipe function passes it (a
    real trainer would move the model to the simulated GPU)."""

    def __init__(self, **given):
        self.__dict__.update(given)


# gist's guide and mnr-mined's judge (all-MiniLM-L6-v2) would load onto the simulated GPU;
# both train with mnr-soft's trainer, mnr_trainer
@pytest.mark.parametrize("name", sorted(set(RECIPES) - {"gist", "mnr-mined"}))
def test_every_full_run_starts_on_the_gpu_with_mixed_precision(
    name, gpu, standin, tmp_path, monkeypatch
):
    from embedlab.recipes import cosine, mnr, softmax

    for module in (cosine, mnr, softmax):
        monkeypatch.setattr(module, "SentenceTransformerTrainer", _Captured)
    recipe = RECIPES[name]
    settings = recipe.settings(el.profiles.FULL)
    args = _full_trainer(name, standin, tmp_path)[0].args
    assert args.device.type == "cuda" and not args.use_cpu and args.dataloader_pin_memory
    assert (args.bf16, args.fp16) == (gpu, not gpu)
    assert recipe.model_name(el.profiles.FULL) in BOOK_MODELS and settings.n_train == 50_000
    assert args.num_train_epochs == 1 and args.eval_strategy == "steps" and args.eval_steps == 100
    assert args.per_device_train_batch_size == (128 if name == "cached-mnr" else 32)
    assert args.learning_rate == 5e-5 and args.warmup_steps == (10 if recipe.finetune else round(100 * 32 / args.per_device_train_batch_size))  # fmt: skip
    in_batch = recipe.loss not in ("SoftmaxLoss", "CosineSimilarityLoss", "CoSENTLoss")
    assert args.batch_sampler is length_grouped_sampler(no_duplicates=in_batch)
    assert args.ddp_backend is None  # one GPU; several under torchrun use NCCL


def test_the_same_runs_on_this_cpu_use_full_precision(standin, tmp_path):
    for name in RECIPES:
        args = _full_trainer(name, standin, tmp_path)[0].args
        assert args.device.type == "cpu" and not (args.bf16 or args.fp16)


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_every_full_run_builds_its_loss_and_training_set(name, standin, tmp_path):
    trainer, dataset = _full_trainer(name, standin, tmp_path)
    assert trainer.loss.model is standin and type(trainer.loss).__name__.startswith(
        {"MNR": "MultipleNegatives", "CachedMNR": "CachedMultiple", "GISTEmbed": "GIST"}.get(
            RECIPES[name].loss, RECIPES[name].loss
        )
    )
    el.loss_data.check_loss_data(trainer.loss, dataset)  # the columns and labels it reads
    assert len(dataset) > 20


def test_the_full_row_count_is_asked_for_and_offline_says_what_is_missing():
    with pytest.raises(el.errors.InputError, match=r"asked for 50,000 rows of mnli train.*9,999"):
        el.load_nli("mnli", "train", n_rows=el.profiles.FULL.n_train)


def test_no_device_or_precision_is_hard_coded():
    pattern = re.compile(r"""\.to\(["']cuda|device=["']cuda|fp16=True|bf16=True""")
    files = [*(REPO / "embedlab").rglob("*.py"), *(REPO / "benchmarks").glob("*.py")]
    offenders = [str(f.relative_to(REPO)) for f in files if pattern.search(f.read_text())]
    assert offenders == []
