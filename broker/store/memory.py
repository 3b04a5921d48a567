"""``MemoryStore``: the KV layer on a dict, for tests and development (one process)."""

from __future__ import annotations

import threading
from contextlib import contextmanager

from .kv import KVBackend
from .kvstore import KVStore

__all__ = ["MemoryStore"]


class _DictKV(KVBackend):
    def __init__(self):
        self._data: dict[str, bytes] = {}
        self._lock = threading.RLock()

    def get_many(self, keys):
        data = self._data
        return [data.get(key) for key in keys]

    @contextmanager
    def exclusive(self):
        with self._lock:
            yield

    def write_many(self, items):
        for key, value in items.items():
            if value is None:
                self._data.pop(key, None)
            else:
                self._data[key] = value


class MemoryStore(KVStore):
    """Everything in this process's memory; gone when it exits."""

    def __init__(self):
        super().__init__(_DictKV())
