"""Teaching methods built on the core: negatives, masked-LM pre-training, Augmented SBERT, TSDAE."""

from __future__ import annotations

import importlib

_MODULES = ("negatives", "pretraining", "augmentation", "tsdae")


def __getattr__(name: str):
    """``embedlab.methods.tsdae`` etc. load on first use (the package imports nothing heavy)."""
    if name in _MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
