"""The diskcache layer's own SQL and diskcache's ``Cache`` read and write the same rows."""

from __future__ import annotations

import threading
from pathlib import Path

import diskcache
import pytest

from datacat.broker.store.disk import DiskStore


@pytest.fixture
def store(tmp_path):
    store = DiskStore(str(tmp_path / "store"))
    yield store
    store.close()


@pytest.fixture
def cache(store):
    """diskcache's own view of the same directory; values of 1 KB or more go to side files."""
    cache = diskcache.Cache(store.directory, disk_min_file_size=1024)
    yield cache
    cache.close()


def _write(store, items):
    with store._kv.exclusive():
        store._kv.write_many(items)


def _side_files(store) -> list:
    return sorted(p.name for p in Path(store.directory).rglob("*.val"))


def test_each_side_reads_what_the_other_wrote(store, cache):
    _write(store, {"a": b"\x01" * 10, "b": b"\x02" * 5000})
    cache.set("c", b"\x03" * 10)
    cache.set("d", b"\x04" * 2000)  # a side file
    cache.set("e", b"\x05" * 10, expire=3600)
    assert (cache.get("a"), cache.get("b")) == (b"\x01" * 10, b"\x02" * 5000)
    assert store._kv.get_many(["d", "missing", "a", "c", "e", "b"]) == [
        b"\x04" * 2000, None, b"\x01" * 10, b"\x03" * 10, b"\x05" * 10, b"\x02" * 5000]


def test_many_keys_are_read_in_order(store):
    keys = [f"k{i}" for i in range(1234)]
    _write(store, {key: key.encode() for key in keys[::2]})
    assert store._kv.get_many(keys) == [key.encode() if i % 2 == 0 else None
                                        for i, key in enumerate(keys)]


def test_overwriting_and_deleting_side_files_leaves_no_file(store, cache):
    cache.set("big", b"\x06" * 2000)
    cache.set("gone", b"\x07" * 2000)
    cache.set("expiring", b"\x08" * 10, expire=3600)
    assert len(_side_files(store)) == 2
    _write(store, {"big": b"small", "gone": None, "expiring": b"kept", "new": b"n"})
    assert store._kv.get_many(["big", "gone", "expiring", "new"]) == [b"small", None, b"kept", b"n"]
    assert (cache.get("big"), cache.get("gone"), cache.get("expiring")) == (b"small", None, b"kept")
    assert _side_files(store) == []
    assert len(cache) == 3  # diskcache's count stays true


def test_a_section_that_raises_writes_nothing(store):
    _write(store, {"a": b"before"})
    with pytest.raises(RuntimeError), store._kv.exclusive():
        store._kv.write_many({"a": b"after", "b": b"new"})
        raise RuntimeError("stop")
    assert store._kv.get_many(["a", "b"]) == [b"before", None]


def _memory(store) -> tuple:
    """``(cache_size, mmap_size)`` of the connection the store uses in a new thread."""
    found = []

    def read():
        con = store._kv._con()
        found.append(tuple(con.execute(f"PRAGMA {name}").fetchone()[0]
                           for name in ("cache_size", "mmap_size")))

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    return found[0]


def test_a_lean_reader_does_not_make_other_processes_lean(tmp_path):
    directory = str(tmp_path / "store")
    writer = DiskStore(directory)
    reader = DiskStore(directory, lean=True)
    later = DiskStore(directory)  # opened after the reader, as a worker started after the web
    try:
        assert _memory(reader) == (64, 0)
        assert _memory(writer) == _memory(later) == (2**13, 2**26)
    finally:
        for store in (writer, reader, later):
            store.close()
