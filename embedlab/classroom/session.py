"""Notebook start-up: choose the profile, quiet the libraries, say what will be used.

>>> profile = start("02_softmax_loss")     # prints the doctor's short report
"""

from __future__ import annotations

import logging
import os

from ..errors import EmbedlabError
from ..profiles import Profile, get_profile

__all__ = ["start", "describe_setup", "quiet_libraries"]


class _ModelConversionNote(logging.Filter):
    """Drops the library's note that it turns a sentence model into a cross-encoder
    ("Converting SentenceTransformer model ... to CrossEncoder"), which notebook 06 explains."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Converting ")


def quiet_libraries() -> None:
    """Hide loading bars and info chatter; training keeps its progress bar."""
    import datasets
    import transformers

    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    logging.getLogger("sentence_transformers").setLevel(logging.WARNING)
    conversions = logging.getLogger("sentence_transformers.base.model")
    if not any(isinstance(f, _ModelConversionNote) for f in conversions.filters):
        conversions.addFilter(_ModelConversionNote())
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
        brief = [f"{etype.__name__}: {value}"]
        # an error output, as any exception gives (the cell stops a "run all", and nbval
        # fails it), holding the message alone instead of the library's traceback
        shell._showtraceback(etype, value, brief)
        return brief

    shell.set_custom_exc((EmbedlabError,), handler)


def describe_setup(profile: Profile) -> str:
    """The doctor's short report for ``profile`` (what :func:`start` prints)."""
    from .doctor import short_report  # only when asked: the doctor is not part of `import embedlab`

    return short_report(profile=profile.name)


def start(notebook: str, *, profile: str | None = None) -> Profile:
    """Set up a notebook: quiet libraries, brief errors, seeds; print and return the profile.

    What it prints is :func:`embedlab.classroom.doctor.short_report`: versions, profile, device, where
    data and models come from, the notebook's expected run time, and any problem with its fix.
    """
    from transformers import set_seed

    from .doctor import short_report  # only when called: `import embedlab` stays light

    quiet_libraries()
    _show_embedlab_errors_briefly()
    chosen = get_profile(profile)
    set_seed(chosen.seed)
    print(f"notebook: {notebook}")
    print(short_report(notebook, profile=profile))
    return chosen
