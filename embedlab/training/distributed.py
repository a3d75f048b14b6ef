"""Data-parallel training: which process this is, and setting up the process group.

``torchrun --nproc_per_node N`` and ``accelerate launch`` start N copies of a script and tell
each its place through environment variables (``WORLD_SIZE``, ``RANK``, ``LOCAL_RANK``).
The trainers then run data-parallel (DDP): each process trains on its share of every step's
batches and gradients are averaged. embedlab reads the same variables, so that only the main
process scores, saves and records a run. On a machine without CUDA the processes talk
through the ``gloo`` backend (this is how CI proves the set-up on two CPU processes).

>>> world_size(), rank(), is_main_process()    # (1, 0, True) in a plain python process
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import torch
import torch.distributed as dist

from ..profiles import device_name

__all__ = [
    "world_size",
    "rank",
    "is_main_process",
    "ddp_backend",
    "init_distributed",
    "local_device",
    "wait_for_everyone",
    "main_process_first",
    "finish_distributed",
]


def _env_int(*names: str, default: int) -> int:
    for name in names:
        value = os.environ.get(name, "").strip()
        if value:
            return int(value)
    return default


def world_size() -> int:
    """How many training processes were launched together (1 without a launcher)."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size()
    return _env_int("WORLD_SIZE", default=1)


def rank() -> int:
    """This process's place among them, 0 for the main process."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank()
    return _env_int("RANK", default=0)


def is_main_process() -> bool:
    """Whether this process scores, saves and records (rank 0)."""
    return rank() == 0


def ddp_backend() -> str | None:
    """``"gloo"`` for several processes without CUDA; ``None`` lets the trainer choose (NCCL)."""
    if world_size() > 1 and not torch.cuda.is_available():
        return "gloo"
    return None


def init_distributed() -> None:
    """Join the process group now when launched with several processes (else do nothing).

    The trainer would do this when it starts; doing it first places each process's model on
    its own GPU and lets evaluation before training share the work. Safe to call twice.
    """
    if world_size() <= 1 or (dist.is_available() and dist.is_initialized()):
        return
    from accelerate import PartialState

    PartialState(cpu=not torch.cuda.is_available(), backend=ddp_backend())


def local_device() -> torch.device:
    """The device this process trains on: its own GPU under a launcher, else the default."""
    if torch.cuda.is_available():
        return torch.device("cuda", _env_int("LOCAL_RANK", default=torch.cuda.current_device()))
    return torch.device(device_name())


def wait_for_everyone() -> None:
    """Block until every process gets here (nothing to wait for in a single process)."""
    if dist.is_available() and dist.is_initialized():
        dist.barrier()


@contextmanager
def main_process_first() -> Iterator[None]:
    """Run the block in the main process first, then in the others (e.g. to fill a cache once).

    >>> with main_process_first():
    ...     model = load_base_model(profile)     # the main process fills the caches once
    """
    if not is_main_process():
        wait_for_everyone()
    try:
        yield
    finally:
        if is_main_process():
            wait_for_everyone()


def finish_distributed() -> None:
    """Wait for every process, then leave the process group cleanly."""
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
