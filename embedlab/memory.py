"""Memory of a run: its peak (GPU allocations or the process's resident set), and freeing it."""

from __future__ import annotations

import gc
import threading

import psutil
import torch

__all__ = ["PeakMemory", "free_memory"]


class PeakMemory:
    """Peak memory of a block: CUDA allocations on a GPU, else the process's resident set.

    >>> with PeakMemory() as peak:
    ...     train()
    >>> peak.mb
    """

    def __init__(self, interval: float = 0.1) -> None:
        self.interval, self.mb = interval, 0.0
        self._stop = threading.Event()
        self._cuda = torch.cuda.is_available()

    def _sample(self) -> None:
        process = psutil.Process()
        while not self._stop.is_set():
            self.mb = max(self.mb, process.memory_info().rss / 2**20)
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakMemory:
        if self._cuda:
            torch.cuda.reset_peak_memory_stats()
        else:
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._cuda:
            self.mb = torch.cuda.max_memory_allocated() / 2**20
        else:
            self._stop.set()
            self._thread.join()
            self.mb = max(self.mb, psutil.Process().memory_info().rss / 2**20)


def free_memory() -> None:
    """Release what training left behind, so the next run fits without a kernel restart."""
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
