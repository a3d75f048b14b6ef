"""The errors embedlab raises for bad input or missing resources.

Each one carries a message that names the problem and the fix; notebooks show only that
message (see :func:`embedlab.classroom.session.start`), never a library's deep stack trace.
"""

from __future__ import annotations

__all__ = [
    "EmbedlabError",
    "DataUnavailableError",
    "ModelUnavailableError",
    "InputError",
    "StorageError",
]


class EmbedlabError(Exception):
    """Base class for every error embedlab raises on purpose."""


class DataUnavailableError(EmbedlabError):
    """A dataset can be loaded neither from the Hub nor from the offline folder."""


class ModelUnavailableError(EmbedlabError):
    """A model can be loaded neither from the Hub nor from a local package."""


class InputError(EmbedlabError, ValueError):
    """An argument is out of range, of the wrong shape or unknown."""


class StorageError(EmbedlabError, OSError):
    """A folder embedlab writes to cannot be written (read-only, a file in the way)."""
