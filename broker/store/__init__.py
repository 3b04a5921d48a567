"""Store backends, picked by URL: ``memory://``, ``diskcache:///abs/path``, ``redis://…``
(also ``rediss://``, ``redis+sentinel://``, ``redis+cluster://``: see ``redis_conn.py``)."""

from __future__ import annotations

from urllib.parse import urlparse

from .base import IDEMPOTENCY_TTL, STATUSES, Page, SessionQuery, SessionTxn, Store

__all__ = ["open_store", "Store", "SessionTxn", "SessionQuery", "Page", "STATUSES",
           "IDEMPOTENCY_TTL"]


def open_store(url: str, *, reader: bool = False) -> Store:
    """Open the store a URL names; raises ``ValueError`` naming the URL if it is not valid.

    ``reader``: the opener mostly reads (the web app): an embedded store keeps its memory
    small and flat, whatever it holds, rather than caching pages for writes.
    """
    parsed = urlparse(url)
    if parsed.scheme == "memory":
        from .memory import MemoryStore

        return MemoryStore()
    if parsed.scheme == "diskcache":
        path = (parsed.netloc + parsed.path) if parsed.netloc else parsed.path
        if not path:
            raise ValueError(f"store URL {url!r} names no directory (diskcache:///abs/path)")
        from .disk import DiskStore

        return DiskStore(path, lean=reader)
    if parsed.scheme in ("redis", "rediss") or parsed.scheme.startswith("redis+"):
        from .redis_store import RedisStore

        return RedisStore(url)
    raise ValueError(f"unknown store URL {url!r}: use memory://, diskcache:///abs/path, "
                     "redis://, rediss://, redis+sentinel:// or redis+cluster://")
