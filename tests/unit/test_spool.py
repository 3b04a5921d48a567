"""The daemon's journal, batch spool and pressure relief, on real files."""

from __future__ import annotations

import zlib

import msgpack
import pytest
import zmq

from datacat.daemon.compact import merge_batches, merge_points
from datacat.daemon.delivery import Delivery, SpoolSettings
from datacat.daemon.journal import Journal
from datacat.daemon.spool import BatchSpool
from datacat.daemon.uplink import Uplink
from datacat.protocol import Kind, encode_batch


def test_journal_replays_committed_frames_from_an_offset(tmp_path):
    journal = Journal(tmp_path, sync=False)
    journal.append(b"one")
    journal.commit()
    middle = journal.end
    journal.append(b"two")
    journal.append(b"three")
    assert list(Journal(tmp_path, sync=False).replay(0)) == [b"one"]  # uncommitted: not on disk
    journal.commit()
    assert list(journal.replay(0)) == [b"one", b"two", b"three"]
    assert list(journal.replay(middle)) == [b"two", b"three"]
    journal.close()


def test_journal_drops_a_torn_tail_and_appends_after_it(tmp_path):
    journal = Journal(tmp_path, sync=False)
    journal.append(b"whole")
    journal.close()
    segment = next(tmp_path.glob("journal-*.log"))
    with open(segment, "ab") as handle:
        handle.write(b"\x10\x00\x00\x00half")  # a length of 16, 4 bytes written: a kill mid-write
    reopened = Journal(tmp_path, sync=False)
    reopened.append(b"next")
    reopened.commit()
    assert list(reopened.replay(0)) == [b"whole", b"next"]
    reopened.close()


def test_journal_rotates_and_forgets_segments_before_an_offset(tmp_path):
    journal = Journal(tmp_path, sync=False, segment_bytes=64)
    for i in range(20):
        journal.append(b"x" * 30 + bytes([i]))
        journal.commit()
    assert len(list(tmp_path.glob("journal-*.log"))) > 5
    offset = journal.end
    journal.append(b"after")
    journal.commit()
    journal.truncate_before(offset)
    assert len(list(tmp_path.glob("journal-*.log"))) <= 2
    assert list(journal.replay(offset)) == [b"after"]
    journal.close()


def test_spool_keeps_batches_in_order_across_reopen(tmp_path):
    spool = BatchSpool(tmp_path, sync=False)
    for seq in (1, 2, 3):
        spool.put("d", seq, seq * 10, f"payload-{seq}".encode())
    spool.remove(spool.entries[0])
    again = BatchSpool(tmp_path, sync=False)
    assert [(e.seq, e.offset) for e in again.entries] == [(2, 20), (3, 30)]
    assert [again.load(e) for e in again.entries] == [b"payload-2", b"payload-3"]
    assert again.bytes == sum(e.size for e in again.entries)
    again.put("d", 4, 40, b"4")
    assert [e.seq for e in BatchSpool(tmp_path, sync=False).entries] == [2, 3, 4]


def test_a_compaction_interrupted_before_deleting_never_resends_what_it_replaced(tmp_path):
    spool = BatchSpool(tmp_path, sync=False)
    for seq in (1, 2, 3, 4):
        spool.put("d", seq, seq, b"p%d" % seq)
    old = list(spool.entries)[1:3]
    copies = {e.path: e.path.read_bytes() for e in old[1:]}
    spool.replace(old, "d", 3, b"merged")
    assert sorted(p.name for p in tmp_path.glob("*.batch")) == [
        "000000000001.batch", "000000000002.batch", "000000000004.batch"]
    for path, data in copies.items():  # as if the daemon died before unlinking them
        path.write_bytes(data)
    again = BatchSpool(tmp_path, sync=False)
    assert [(e.seq, again.load(e)) for e in again.entries] == [
        (1, b"p1"), (3, b"merged"), (4, b"p4")]
    assert again.replay_offset() == 4


def _point(ts, value, name="fps", mtype="gauge"):
    return {"ts": ts, "t0": ts, "name": name, "type": mtype, "count": 1, "sum": value,
            "min": value, "max": value, "last": value}


def test_merge_points_rolls_a_series_up_across_windows():
    hist = {"ts": 1, "t0": 1, "name": "h", "type": "histogram", "count": 2, "sum": 3.0,
            "min": 1.0, "max": 2.0, "last": 2.0, "buckets": [[1, 1], [5, 2], ["+Inf", 2]]}
    merged = merge_points([_point(1, 10.0), _point(2, 30.0), _point(3, 20.0), hist,
                           dict(hist, ts=4, last=9.0, max=9.0, buckets=[[1, 0], [5, 0], ["+Inf", 2]])])
    fps, h = merged
    assert (fps["count"], fps["sum"], fps["min"], fps["max"], fps["last"], fps["t0"], fps["ts"]) \
        == (3, 60.0, 10.0, 30.0, 20.0, 1, 3)
    assert h["buckets"] == [[1, 1], [5, 2], ["+Inf", 4]] and h["count"] == 4 and h["max"] == 9.0


def _batch(seq, sid="s"):
    return {"v": 1, "daemon_id": "d", "seq": seq, "sessions": {sid: {
        "open": {"product": "P", "version": "1", "ts": float(seq)} if seq == 1 else None,
        "state": [[float(seq), {"n": seq}]],
        "events": [{"ts": float(seq), "name": "dbg", "level": "debug"},
                   {"ts": float(seq), "name": "oops", "level": "error"}],
        "metrics": [_point(seq, float(seq))],
        "lifecycle": [[Kind.END, float(seq), {"reason": "end"}]] if seq == 3 else [],
    }}}


def test_merge_batches_keeps_lifecycle_state_and_drops_only_the_named_levels():
    merged, drops = merge_batches([_batch(1), _batch(2), _batch(3)], frozenset({"debug"}))
    part = merged["sessions"]["s"]
    assert merged["seq"] == 3
    assert part["open"]["product"] == "P"
    assert [patch for _, patch in part["state"]] == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert [e["name"] for e in part["events"]] == ["oops"] * 3
    assert len(part["metrics"]) == 1 and part["metrics"][0]["count"] == 3
    assert part["lifecycle"] == [[Kind.END, 3.0, {"reason": "end"}]]
    assert drops == {"spool_debug_events": 3, "spool_metric_points_rolled_up": 2}


def _big_batch(seq: int) -> dict:
    return {"v": 1, "daemon_id": "d", "seq": seq, "sessions": {f"s{seq}": {
        "open": {"product": "P", "version": "1", "ts": float(seq)},
        "events": [{"ts": float(seq), "name": "e", "level": level, "data": {"pad": "x" * 200}}
                   for level in ("debug", "info", "warning") for _ in range(20)],
        "metrics": [_point(seq, 1.0, name=f"m{i}") for i in range(20)],
        "lifecycle": [[Kind.END, float(seq), {"reason": "end"}]],
    }}}


@pytest.mark.parametrize("head_sent", [True, False])
def test_a_full_spool_sheds_debug_then_info_and_never_lifecycle(tmp_path, head_sent):
    delivery = Delivery(SpoolSettings(tmp_path, max_bytes=60_000, sync=False))
    for seq in range(1, 31):
        delivery.spool_batch("d", seq, encode_batch(_big_batch(seq)), head_sent=head_sent)
    head = msgpack.unpackb(delivery.spool.load(delivery.spool.entries[0]), raw=False)
    assert (len(head["sessions"]["s1"].get("events", [])) == 60) is head_sent  # a sent head stays
    assert delivery.bytes() <= 60_000
    assert delivery.drops["spool_debug_events"] > 0
    sessions = {}
    for entry in delivery.spool.entries:
        sessions.update(msgpack.unpackb(delivery.spool.load(entry), raw=False)["sessions"])
    assert sorted(sessions) == sorted(f"s{seq}" for seq in range(1, 31))
    assert all(part["lifecycle"][0][0] == Kind.END for part in sessions.values())
    assert all(part["open"]["product"] == "P" for part in sessions.values())
    delivery.close()


@pytest.mark.parametrize("sync", [True, False])
def test_delivery_replays_frames_journaled_after_the_last_batch(tmp_path, sync):
    delivery = Delivery(SpoolSettings(tmp_path, sync=sync))
    delivery.record(b"batched", now=0.0)
    delivery.spool_batch("d", 1, b"batch-1")
    delivery.commit()
    delivery.record(b"late-1", now=1.0)
    assert not delivery.commit_due(1.05) and delivery.commit_due(1.1)
    delivery.record(b"late-2", now=1.2)
    delivery.commit()
    delivery.close()
    again = Delivery(SpoolSettings(tmp_path, sync=sync))
    assert list(again.replay()) == [b"late-1", b"late-2"]
    assert [e.seq for e in again.spool.entries] == [1]
    again.close()


def test_a_rejection_of_an_unreadable_batch_settles_it_by_its_crc(tmp_path):
    spool = BatchSpool(tmp_path, sync=False)
    spool.put("d", 1, 0, b"one")
    spool.put("d", 2, 0, b"two")
    uplink = Uplink(zmq.Context.instance(), [], spool)
    try:
        uplink._settle({"seq": -1, "status": "rejected", "crc": zlib.crc32(b"two")}, 0.0)
        assert [e.seq for e in spool.entries] == [1, 2]  # not the batch in flight
        uplink._settle({"seq": -1, "status": "rejected", "crc": zlib.crc32(b"one")}, 0.0)
        assert [e.seq for e in spool.entries] == [2]
    finally:
        uplink.close()


def test_a_damaged_spooled_batch_is_quarantined_and_the_next_one_goes(tmp_path):
    spool = BatchSpool(tmp_path, sync=False)
    first = spool.put("d", 1, 0, b"one" * 10)
    spool.put("d", 2, 0, b"two")
    data = bytearray(first.path.read_bytes())
    data[-5:] = b"XXXXX"
    first.path.write_bytes(bytes(data))
    assert spool.load(first) is None
    assert [e.seq for e in spool.entries] == [2]
    assert spool.drops == {"spool_damaged_batches:bad_checksum": 1}
    assert len(list((tmp_path / "quarantine").iterdir())) == 1
