"""``python -m embedlab.training``: the same as ``embedlab-train`` (see :mod:`.cli`)."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
