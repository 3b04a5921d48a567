"""The SDK's queue layout: flat records pack to the bytes of the same records as tuples."""

from __future__ import annotations

import gc

import msgspec
import pytest

from datacat.outbox import WIDTH, as_tuples, pack_records, record_items
from datacat.protocol import Kind, decode_frame, encode_frame

OPEN = (Kind.OPEN.value, "s", 1.5, "P", "1", 42, 1.0, "host", "m", {"t": "v"}, "0.1", 60.0,
        None, None)
KINDS = [
    (Kind.EVENT.value, "s", 1.5, "e", "info", None, (), None, {"i": 1}, None),
    (Kind.METRIC.value, "s", 1.5, "fps", 59.8, "gauge", None, None, None),
    (Kind.STATE.value, "s", 1.5, {"a": {"b": [1, 2]}}),
    (Kind.BEAT.value, "s", 1.5),
    (Kind.END.value, "s", 1.5, "end"),
    OPEN,
]


def flat(records) -> list:
    return [item for record in records for item in record_items(record)]


@pytest.mark.parametrize("count", [1, 2, 15, 16, 17, 300, 2000])
def test_queued_records_pack_to_the_bytes_of_the_same_records_as_tuples(count):
    # the record count's msgpack header changes size at 16 and the items' at 16 and 65,536
    records = [KINDS[i % len(KINDS)] for i in range(count)]
    items = flat(records)
    assert len(items) == count * WIDTH
    packed = pack_records(msgspec.msgpack.Encoder(), items)
    frame = encode_frame("client", 7, {}, packed)
    assert frame == encode_frame("client", 7, {}, records)
    assert [tuple(r) for r in decode_frame(frame).records] == [tuple(
        list(r) if isinstance(r, tuple) else r for r in record) for record in records]


def test_queued_records_read_back_as_their_tuples():
    assert as_tuples(flat(KINDS)) == [
        record if record is not OPEN else tuple(msgspec.msgpack.decode(msgspec.msgpack.encode(OPEN)))
        for record in KINDS]


def test_a_queued_record_holds_nothing_the_garbage_collector_tracks():
    # a record tuple holding a dict stays tracked while queued, and every collection walks it
    items = record_items((Kind.EVENT.value, "s", 1.5, "e", "info", None, (), None, {"i": 1}, None))
    assert not any(gc.is_tracked(item) for item in items)


def test_a_wide_record_that_cannot_be_packed_raises_for_the_caller_to_count():
    loop: dict = {}
    loop["self"] = loop
    with pytest.raises((TypeError, ValueError, RecursionError)):
        record_items(OPEN[:9] + (loop,) + OPEN[10:])
