"""``DiskStore``: the KV layer on diskcache (SQLite); several processes may share a directory."""

from __future__ import annotations

from contextlib import contextmanager

import diskcache

from ..errors import StoreError
from .kv import KVBackend
from .kvstore import KVStore

__all__ = ["DiskStore"]

# A store must never evict; values stay in SQLite rows rather than side files.
_SETTINGS = {
    "eviction_policy": "none",
    "size_limit": 2**62,
    "cull_limit": 0,
    "disk_min_file_size": 2**24,
    "statistics": 0,
    "tag_index": 0,
    "sqlite_synchronous": 1,
}


#: A reader's SQLite memory per connection: a 256 KB page cache and no memory-mapped file
#: (mapped pages count in its RSS and grow with the file).
_LEAN = {"sqlite_cache_size": 64, "sqlite_mmap_size": 0}


class _DiskKV(KVBackend):
    def __init__(self, directory: str, lean: bool):
        try:
            self._cache = diskcache.Cache(directory, timeout=60, **_SETTINGS,
                                          **(_LEAN if lean else {}))
        except Exception as exc:  # noqa: BLE001 - translate at the boundary
            raise StoreError(f"cannot open diskcache store at {directory}: {exc}") from exc

    def get_many(self, keys):
        get = self._cache.get
        return [get(key) for key in keys]

    @contextmanager
    def exclusive(self):
        with self._cache.transact():
            yield

    def write_many(self, items):
        cache = self._cache
        for key, value in items.items():
            if value is None:
                cache.delete(key)
            else:
                cache.set(key, value)

    def close(self):
        self._cache.close()


class DiskStore(KVStore):
    """Sessions, state, history, events and metrics in one diskcache directory; ``lean``
    for a process that mostly reads (see ``open_store``)."""

    def __init__(self, directory: str, lean: bool = False):
        super().__init__(_DiskKV(directory, lean))
        self.directory = directory
