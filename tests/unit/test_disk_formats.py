"""Fuzzing the daemon's on-disk formats: damage never raises, and costs only the damaged bytes."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datacat.daemon.journal import Journal
from datacat.daemon.registry import load_registry
from datacat.daemon.spool import BatchSpool
from datacat.sealed import pack_record, scan_records

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
frames = st.lists(st.binary(min_size=1, max_size=64), min_size=1, max_size=12)


@FUZZ
@given(st.binary(max_size=512))
def test_scanning_any_bytes_never_raises_and_accounts_for_every_byte(data):
    total = 0
    for payload, skipped, _ in scan_records(data):
        total += skipped if payload is None else len(payload) + 8
    assert total == len(data)


@FUZZ
@given(frames, st.data())
def test_damage_costs_only_the_records_it_touches(records, data):
    packed = [pack_record(r) for r in records]
    blob = bytearray(b"".join(packed))
    start = data.draw(st.integers(0, len(blob) - 1))
    length = data.draw(st.integers(1, 16))
    blob[start:start + length] = data.draw(st.binary(min_size=length, max_size=length))
    end = start + length
    got = [payload for payload, _, _ in scan_records(bytes(blob)) if payload is not None]
    position, untouched = 0, []
    for record, raw in zip(records, packed):
        if position + len(raw) <= start or position >= end:
            untouched.append(record)
        position += len(raw)
    assert all(record in got for record in untouched)


@FUZZ
@given(st.binary(max_size=300), st.sampled_from(["journal", "batch", "checkpoint", "registry"]))
def test_the_daemon_opens_whatever_it_finds_on_disk(junk, kind):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "journal").mkdir()
        (root / "batches").mkdir()
        target = {"journal": root / "journal" / "journal-00000001.log",
                  "batch": root / "batches" / "000000000001.batch",
                  "checkpoint": root / "batches" / "checkpoint",
                  "registry": root / "registry.msgpack"}[kind]
        target.write_bytes(junk)
        spool = BatchSpool(root / "batches", sync=False)
        journal = Journal(root / "journal", sync=False)
        replayed = list(journal.replay(spool.replay_offset()))
        assert all(isinstance(frame, bytes) for frame in replayed)
        for entry in list(spool.entries):  # junk never passes its checksum: set aside
            assert spool.load(entry) is None
        assert not spool.entries
        if kind == "registry":
            assert load_registry(target, 0.0) == ([], {})
        spool.put("d", 1, journal.end, b"after")  # and it goes on working
        assert spool.load(spool.entries[-1]) == b"after"
        journal.close()


_SMALL = st.integers(-(2**63), 2**64 - 1)  # what msgpack holds


@given(st.lists(st.one_of(_SMALL, st.text(max_size=5),
                          st.dictionaries(st.text(max_size=3), _SMALL, max_size=3)),
                max_size=12), st.integers(0, 14), st.integers(0, 14))
def test_a_store_block_yields_the_items_asked_for(items, start, stop):
    from datacat.broker.store.codec import iter_items, pack

    block = b"".join(pack(item) for item in items)
    assert list(iter_items(block, start, max(start, stop))) == items[start:max(start, stop)]
    assert list(iter_items(block, start)) == items[start:]
