"""Event rows: events pass the daemon as their packed bytes and are checked by the worker.

What a session's events become in the store must not depend on the path: a version-2 batch
(rows) stores exactly what a version-1 batch of the same records (maps) stores, a bad row
costs itself alone and is counted with its reason, and a record too large to pass as bytes
is decoded by the daemon as before.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import msgpack
import pytest

from datacat.broker.store import open_store
from datacat.broker.worker import IngestWorker
from datacat.daemon.compact import merge_batches
from datacat.daemon.delivery import Delivery, SpoolSettings
from datacat.daemon.intake import Intake
from datacat.daemon.probe import ProcState
from datacat.daemon.watch import Watcher
from datacat.daemon.window import Windows
from datacat.protocol import (
    ROW,
    Kind,
    build_batch,
    decode_ack,
    decode_batch,
    decode_frame,
    encode_batch,
    encode_frame,
    event_map,
    new_daemon_identity,
    read_spooled,
    record_as_dict,
    row_record,
    split_frame,
)
from tests.unit.test_watch import FakeProbe, open_record

SID = "0190a6f2-7a1b-7c3d-8e4f-0123456789ab"
DAEMON_ID, KEY = new_daemon_identity()


def event(i, name="e", level="info", data=None, **fields):
    return [Kind.EVENT, SID, 1000.0 + i, name, level, fields.get("category"),
            fields.get("labels", []), fields.get("message"), data, fields.get("exception")]


#: the events an app sends, odd ones included: every field, a datetime, keys that are not
#: text (a number, a tuple), Unicode, an exception, and one too large to pass as bytes
EVENTS = [
    event(0, data={"i": 0}),
    event(1, "full", "error", {"nested": {"list": [1, 2.5, None, True]}}, category="net",
          labels=["a", "b"], message="héllo ✓",
          exception={"type": "ValueError", "message": "bad", "line": 3}),
    event(2, data={"at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)}),
    event(3, data={1: "one", (1, 2): "pair", "s": "x"}),
    event(4, "big", data={"pad": "x" * 30_000}),
    event(5, data={}, labels=[]),
]
OTHERS = [[Kind.STATE, SID, 999.0, {"level": 1, "deep": {"a": {"b": {"c": 1}}}}],
          [Kind.METRIC, SID, 999.5, "fps", 59.9, "gauge", None, {"gpu": "x"}, None]]


def _frame(records, seq=1):
    return encode_frame("client", seq, 0, records)


def _batch(seq, sessions, v=2):
    batch = build_batch(DAEMON_ID, KEY, seq, "h", 1.0, {}, [], sessions)
    return encode_batch(dict(batch, v=v))


def _daemon_batch(frame: bytes, seq=2) -> tuple[bytes, Intake]:
    intake = Intake(Windows(), Watcher(FakeProbe()), None)
    intake.delivery = type("NoJournal", (), {"record": lambda self, data, now: None})()
    intake.take(frame, now=0.0)
    return _batch(seq, intake.windows.build()), intake


def _v1_batch(frame: bytes, seq=2) -> bytes:
    """What the daemon sent before rows: each valid event decoded and made a map."""
    records = decode_frame(frame, strict=False).records
    events = [event_map(r) for r in records if r[0] == Kind.EVENT]
    return _batch(seq, {SID: {"events": events}}, v=1)


@pytest.fixture
def worker():
    workers = []

    def make():
        workers.append(IngestWorker(open_store("memory://"), f"inproc://rows-{len(workers)}"))
        return workers[-1]
    yield make
    for each in workers:
        each.close()


def _apply(worker, payload) -> list[dict]:
    opening = _batch(1, {SID: {"open": {"product": "P", "version": "1", "ts": 1.0}}})
    assert decode_ack(worker.handle(opening))["status"] == "ok"
    assert decode_ack(worker.handle(payload))["status"] == "ok"
    session = worker.store.get_session(SID)
    stored = worker.store.read("events", SID, 0, session["event_count"])
    return [{k: v for k, v in e.items() if k != "recv"} for e in stored]  # recv: when stored


def test_rows_store_exactly_what_maps_stored(worker):
    frame = _frame(OTHERS + EVENTS)
    split = split_frame(frame)
    kinds = [record[0] for record in split.records]
    assert kinds == [Kind.STATE, Kind.METRIC, ROW, ROW, ROW, ROW, Kind.EVENT, ROW]
    rows_batch, _ = _daemon_batch(frame)
    assert decode_batch(rows_batch)[0]["v"] == 2
    through_rows = _apply(worker(), rows_batch)
    through_maps = _apply(worker(), _v1_batch(frame))
    assert through_rows == through_maps and len(through_rows) == len(EVENTS)
    assert through_rows[2]["data"] == {"at": "2026-01-02T03:04:05Z"}
    assert through_rows[3]["data"] == {"1": "one", "(1, 2)": "pair", "s": "x"}


def test_a_bad_row_is_left_out_alone_and_counted_with_its_reason(worker):
    deep: dict = {}
    node = deep
    for _ in range(40):
        node["d"] = node = {}
    bad = [event(10, data={b"raw": 1}),  # a bytes key: the daemon never made it text
           event(11, data=deep),
           event(12, data=5),  # data is not a map
           event(13, name=7),
           [Kind.EVENT, SID, 1013.5, "short"]]
    frame = _frame([event(0), bad[0], event(1), *bad[1:], event(2)])
    assert all(record[0] == ROW for record in split_frame(frame).records)
    daemon_batch, intake = _daemon_batch(frame)
    assert intake.invalid == Counter()  # the daemon passes them on: the worker checks rows
    ingest = worker()
    stored = _apply(ingest, daemon_batch)
    assert [e["ts"] for e in stored] == [1000.0, 1001.0, 1002.0]
    assert {k: v for k, v in ingest.counters.items() if k.startswith("records_invalid:")} == {
        "records_invalid:bad_key": 1, "records_invalid:too_deep": 1,
        "records_invalid:bad_field": 2, "records_invalid:bad_record": 1}
    # the same records, decoded by the daemon as before: the same verdicts
    assert decode_frame(frame, strict=False).invalid == {"bad_key": 1, "too_deep": 1,
                                                         "bad_field": 2, "bad_record": 1}


def test_a_row_the_batch_decoder_cannot_read_costs_only_itself():
    rows = [msgpack.packb(event(0)), b"\x9a\x03\xa1s\xcb@\x8f@\x00\x00\x00\x00\x00\xa2\xff\xfe"
            b"\xa4info\xc0\x90\xc0\xc0\xc0", msgpack.packb(event(2, data={(1, 2): 3}))]
    part = b"\x81\xaaevent_rows\x93" + b"".join(rows)
    envelope = msgpack.packb(dict(build_batch(DAEMON_ID, KEY, 1, "h", 1.0, {}, [], {})))
    payload = envelope.replace(b"\xa8sessions\x80", b"\xa8sessions\x81\xd9\x24"
                               + SID.encode() + part)
    invalid: Counter = Counter()
    batch, rejected = decode_batch(payload, invalid=invalid)
    assert not rejected and invalid == {"malformed": 1}  # the name is not UTF-8
    assert [e["ts"] for e in batch["sessions"][SID]["events"]] == [1000.0, 1002.0]
    assert batch["sessions"][SID]["events"][1]["data"] == {"(1, 2)": 3}


def test_a_version_1_batch_is_still_ingested(worker):
    stored = _apply(worker(), _v1_batch(_frame(EVENTS)))
    assert [e["name"] for e in stored] == ["e", "full", "e", "e", "big", "e"]


def test_a_record_too_large_to_pass_as_bytes_is_decoded_by_the_daemon_as_before():
    big = event(0, data={"pad": "x" * 30_000})
    assert split_frame(_frame([big])).records == [big]
    over = _frame([event(0), event(1, data={"pad": "x" * 70_000})])
    assert split_frame(over) is None  # decode_frame rejects the whole frame, as before
    with pytest.raises(Exception) as info:
        decode_frame(over, strict=False)
    assert info.value.reason == "string_too_long"
    labels = b"\x91" * 1100 + b"\x90"  # nested past msgpack's stack
    frame = _frame([event(0), event(1, labels=["x"])])
    frame = frame[:-len(b"\x91\xa1x\xc0\xc0\xc0")] + labels + b"\xc0\xc0\xc0"
    assert split_frame(frame) is None  # the frame is rejected whole, as before
    with pytest.raises(Exception) as info:
        decode_frame(frame, strict=False)
    assert info.value.reason == "too_deep"


@pytest.mark.parametrize("record", [
    [Kind.STATE, SID, 1.0, {"KEYX": 1}],
    [Kind.METRIC, SID, 1.0, "KEYX", 1.0, "gauge", None, None, None],
    [Kind.OPEN, SID, 1.0, "KEYX", "1", 1, 1.0, None, None, None, None, 60.0, None, None],
    event(0, "KEYX"),
])
def test_a_frame_with_text_that_is_not_utf8_is_judged_as_before(record):
    frame = _frame([event(1), record]).replace(b"KEYX", b"\xff\xfe\xfd\xfc")
    split = split_frame(frame)
    if record[0] == Kind.EVENT:  # a row: it costs itself alone, at the worker
        assert [r[0] for r in split.records] == [ROW, ROW]
        with pytest.raises(Exception) as info:
            row_record(split.records[1][3])
        assert info.value.reason == "malformed"
        return
    assert split is None  # decode_frame rejects the frame, as before
    with pytest.raises(Exception) as info:
        decode_frame(frame, strict=False)
    assert info.value.reason == "malformed"


def test_a_crash_report_carries_the_last_events_decoded_from_rows():
    watcher = Watcher(FakeProbe(), state_of=lambda sid: {})
    watcher.on_record(open_record(), now=0.0)
    sent = [[Kind.EVENT, "s-1", float(i), "tick", "info", None, [], None, {"i": i}, None]
            for i in range(60)]
    sent[-1][8] = 5  # an invalid one: left out of the report, as the tier leaves it out
    for record in split_frame(_frame(sent)).records:
        watcher.on_record(record, now=1.0)
    watcher.probe.states[42] = ProcState.GONE
    (crash,) = watcher.check(now=2.0)
    assert crash[4]["events"] == [record_as_dict(record) for record in sent[10:59]]


def test_the_spool_compaction_drops_rows_by_their_level(tmp_path):
    def spooled(seq):
        frame = _frame([event(0, level="debug"), event(1, level="info"),
                        event(2, level="error")])
        return read_spooled(_daemon_batch(frame, seq)[0])

    merged, drops = merge_batches([spooled(1), spooled(2)], frozenset({"debug", "info"}))
    assert drops == {"spool_debug_events": 2, "spool_info_events": 2}
    batch, _ = decode_batch(encode_batch(merged))
    assert [(e["level"], e["ts"]) for e in batch["sessions"][SID]["events"]] == [
        ("error", 1002.0), ("error", 1002.0)]
    assert batch["seq"] == 2 and batch["v"] == 2
    delivery = Delivery(SpoolSettings(tmp_path, max_bytes=1, sync=False))
    for seq in (1, 2, 3):
        delivery.spool_batch(DAEMON_ID, seq, _daemon_batch(
            _frame([event(0, level="debug"), event(1, level="error")]), seq)[0])
    delivery.relieve_pressure(head_sent=False)
    (entry,) = delivery.spool.entries
    batch, _ = decode_batch(delivery.spool.load(entry))
    assert [e["level"] for e in batch["sessions"][SID]["events"]] == ["error"] * 3
    delivery.close()
