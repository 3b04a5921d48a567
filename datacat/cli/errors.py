"""What a command reports as one line instead of a traceback."""

from __future__ import annotations

__all__ = ["Refused"]


class Refused(RuntimeError):
    """The command cannot do what was asked as things stand (exit status 1, one line)."""
