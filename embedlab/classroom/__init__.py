"""The classroom around the notebooks: start-up, exercises and the doctor.

Importing this package loads only :mod:`.session` and :mod:`.exercises`; the doctor
(:mod:`.doctor`, whose short report el.start prints) loads when used. The teachers' tools
(lab kit, base builder, Colab links, the training command) live in ``embedlab_tools``.
"""

from __future__ import annotations

from . import exercises, session
from .session import start

__all__ = ["exercises", "session", "start"]
