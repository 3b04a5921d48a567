"""The key-value layer under ``KVStore``: what a backend must provide, nothing more.

A backend only stores opaque bytes under string keys and runs a block of reads and
writes exclusively; every record layout and query lives once, in ``kvstore.py``.
"""

from __future__ import annotations

import abc
from contextlib import AbstractContextManager

__all__ = ["KVBackend"]


class KVBackend(abc.ABC):
    """Bytes under string keys, with an exclusive section for read-modify-write."""

    @abc.abstractmethod
    def get_many(self, keys: list[str]) -> list[bytes | None]:
        """Values for ``keys`` in order (``None`` where missing)."""

    @abc.abstractmethod
    def exclusive(self) -> AbstractContextManager[None]:
        """A section no other writer (thread or process) runs concurrently with.

        ``write_many`` calls inside it commit together when the section exits normally
        and not at all if it raises.
        """

    @abc.abstractmethod
    def write_many(self, items: dict[str, bytes | None]) -> None:
        """Set each key (``None`` deletes); only called inside ``exclusive()``."""

    def close(self) -> None:
        """Release resources; idempotent."""
