"""Errors raised by the ingest side and the stores."""

from datacat.protocol import InvalidData

__all__ = ["StoreError", "StoreUnusable", "DuplicateBatch", "InvalidBatch", "UnknownSession"]


class StoreError(RuntimeError):
    """A store backend failed; the batch in hand was not applied."""


class StoreUnusable(StoreError, ValueError):
    """A store that cannot be opened as configured (unreachable, or it could lose data)."""


class DuplicateBatch(Exception):
    """The batch's ``(daemon_id, seq)`` was applied before; nothing was written."""


class InvalidBatch(InvalidData):
    """A batch or REST write is well-formed msgpack/JSON but not valid DataCat data."""


class UnknownSession(KeyError):
    """A write named a session the store has never seen opened."""
