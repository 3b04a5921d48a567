"""``DiskStore``: the KV layer on diskcache (SQLite); several processes may share a directory.

diskcache creates and opens the directory (its schema, settings and pragmas) and keeps
values too large for a row in side files. The hot paths run their own SQL on diskcache's
connection and in its transaction, in diskcache's row format, so each side reads what the
other wrote: many keys are read with one ``SELECT … IN`` and a transaction's writes go in
as one ``executemany`` upsert, where ``Cache.get`` and ``Cache.set`` cost a statement or
three per key. A row this layer does not write (a value in a side file, an expiry, a tag)
is left to diskcache's own ``get``, ``set`` and ``delete``.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import diskcache
from diskcache.core import MODE_RAW

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


#: SQLite's memory per connection, set on each connection this process opens (diskcache
#: would keep settings given to ``Cache`` in the store and impose them on every process
#: that opens a connection later): diskcache's own defaults, a 32 MB page cache and a
#: 64 MB memory-mapped file; for a process that mostly reads, 256 KB and no mapped file
#: (mapped pages count in its RSS and grow with the file).
_FULL = {"cache_size": 2**13, "mmap_size": 2**26}
_LEAN = {"cache_size": 64, "mmap_size": 0}

_MISSING = object()

#: Keys per ``SELECT … IN`` (well under SQLite's limit on bound parameters).
_CHUNK = 500


def _plain(table: str = "") -> str:
    """A row holding its value as diskcache's ``Cache.set`` keeps bytes under its side-file
    size: in the row, raw, with no expiry (``table`` qualifies the columns)."""
    return (f"{table}filename IS NULL AND {table}mode = {MODE_RAW}"
            f" AND {table}expire_time IS NULL")


#: Set one key to bytes kept in its row. An existing row is replaced only if it is plain,
#: so a row of any other kind is left as it is and not counted in ``rowcount``.
_UPSERT = (
    "INSERT INTO Cache(key, raw, store_time, expire_time, access_time, access_count,"
    f" tag, size, mode, filename, value) VALUES (?, 1, ?, NULL, ?, 0, NULL, 0, {MODE_RAW},"
    " NULL, ?) ON CONFLICT(key, raw) DO UPDATE SET store_time = excluded.store_time,"
    " access_time = excluded.access_time, tag = NULL, value = excluded.value"
    f" WHERE {_plain('Cache.')}"
)

#: The values of plain rows among some keys (``NULL`` for a row of another kind).
_SELECT = f"SELECT key, CASE WHEN {_plain()} THEN value END FROM Cache WHERE raw = 1 AND key IN "
#: The keys among some whose rows are not plain.
_NOT_PLAIN = f"SELECT key FROM Cache WHERE raw = 1 AND NOT ({_plain()}) AND key IN "


class _DiskKV(KVBackend):
    def __init__(self, directory: str, lean: bool):
        try:
            self._cache = diskcache.Cache(directory, timeout=60, **_SETTINGS)
        except Exception as exc:  # noqa: BLE001 - translate at the boundary
            raise StoreError(f"cannot open diskcache store at {directory}: {exc}") from exc
        self._max_inline = self._cache.disk_min_file_size
        self._pragmas = [f"PRAGMA {name} = {value}"
                         for name, value in (_LEAN if lean else _FULL).items()]
        self._tuned = threading.local()

    def _con(self):
        """diskcache's connection of this thread (inside its transaction, if any), with
        this process's memory settings."""
        con = self._cache._con
        if getattr(self._tuned, "con", None) is not con:
            for pragma in self._pragmas:
                con.execute(pragma)
            self._tuned.con = con
        return con

    def get_many(self, keys):
        con = self._con()
        found: dict = {}
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start:start + _CHUNK]
            found.update(con.execute(f"{_SELECT}({','.join('?' * len(chunk))})", chunk))
        get = self._cache.get
        return [None if (value := found.get(key, _MISSING)) is _MISSING
                else get(key) if value is None else value for key in keys]

    @contextmanager
    def exclusive(self):
        self._con()
        with self._cache.transact():
            yield

    def write_many(self, items):
        cache, now = self._cache, time.time()
        rows, other, deleted = [], [], []
        for key, value in items.items():
            if value is None:
                deleted.append(key)
            elif len(value) < self._max_inline:
                rows.append((key, now, now, value))
            else:
                other.append(key)
        con = self._con()
        if rows and con.executemany(_UPSERT, rows).rowcount != len(rows):
            other += [row[0] for row in rows]  # a row of diskcache's own kind: let it write
        for key in other:
            cache.set(key, items[key])
        if deleted:
            self._delete(con, deleted)

    def _delete(self, con, keys: list[str]) -> None:
        """Delete plain rows in one statement; any other row through diskcache (its file)."""
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start:start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for (key,) in con.execute(f"{_NOT_PLAIN}({marks})", chunk).fetchall():
                self._cache.delete(key)
            con.execute(f"DELETE FROM Cache WHERE raw = 1 AND key IN ({marks})", chunk)

    def close(self):
        self._cache.close()


class DiskStore(KVStore):
    """Sessions, state, history, events and metrics in one diskcache directory; ``lean``
    for a process that mostly reads (see ``open_store``)."""

    def __init__(self, directory: str, lean: bool = False):
        super().__init__(_DiskKV(directory, lean))
        self.directory = directory
