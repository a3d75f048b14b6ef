"""The classroom around the notebooks: start-up, exercises; the doctor, lab kit and base builder.

Importing this package loads only :mod:`.session` and :mod:`.exercises`; the command-line tools
(:mod:`.doctor`, :mod:`.labkit`, :mod:`.build_base`) load when imported by name.
"""

from __future__ import annotations

from . import exercises, session
from .session import start

__all__ = ["exercises", "session", "start"]
