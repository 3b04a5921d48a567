"""Wire protocol: round trips."""

from __future__ import annotations

from datetime import UTC, datetime

import msgpack
import pytest

from datacat.protocol import (
    LIFECYCLE_KINDS,
    METRIC_TYPES,
    PROTOCOL_VERSION,
    RECORD_FIELDS,
    Frame,
    FrameEncoder,
    Kind,
    ProtocolError,
    decode_ack,
    decode_batch,
    decode_frame,
    encode_ack,
    encode_batch,
    encode_frame,
    record_as_dict,
)

from .support import (
    FIELD_NAMES,
    FULL_RECORDS,
    FULL_VALUES,
    MINIMAL_RECORDS,
    MINIMAL_VALUES,
    TS,
    WRONG_TYPE,
    _batch,
    _frame,
)


def test_value_tables_cover_every_field():
    assert set(RECORD_FIELDS) == set(Kind)
    # a new field needs a good, a minimal and a wrong value above
    assert FIELD_NAMES <= set(FULL_VALUES) & set(MINIMAL_VALUES) & set(WRONG_TYPE)


@pytest.mark.parametrize("table", [FULL_RECORDS, MINIMAL_RECORDS], ids=["full", "minimal"])
@pytest.mark.parametrize("kind", list(Kind), ids=lambda kind: kind.name)
def test_every_kind_round_trips(kind, table):
    record = table[kind]
    frame = decode_frame(_frame([record], client_id="cli", seq=99, dropped=4))
    assert frame == Frame("cli", 99, {"queue_full": 4}, [list(record)])
    assert frame.records[0][0] == kind
    named = record_as_dict(frame.records[0])
    assert named == dict(zip(RECORD_FIELDS[kind], record[3:]), ts=record[2])


def test_frame_with_every_kind_keeps_record_order():
    records = [FULL_RECORDS[kind] for kind in Kind] + [MINIMAL_RECORDS[kind] for kind in Kind]
    frame = decode_frame(_frame(records))
    assert [record[0] for record in frame.records] == [record[0] for record in records]
    assert frame.records == [list(record) for record in records]


def test_empty_frame_and_tuple_records_round_trip():
    assert decode_frame(_frame([])) == Frame("client-1", 7, {}, [])
    as_tuple = tuple(FULL_RECORDS[Kind.END])  # the SDK appends tuples as they are
    assert decode_frame(_frame([as_tuple])).records == [list(as_tuple)]


def test_reused_encoder_gives_the_same_bytes_as_msgpack():
    encoder = FrameEncoder()
    records = [FULL_RECORDS[Kind.EVENT]]
    first = encode_frame("c", 1, 0, records, encoder)
    assert first == encode_frame("c", 1, 0, records, encoder) == encode_frame("c", 1, 0, records)
    assert msgpack.unpackb(first) == [PROTOCOL_VERSION, "c", 1, 0, [FULL_RECORDS[Kind.EVENT]]]


def test_timestamps_and_other_extension_types_arrive_as_text():
    # what a third-party encoder (or the SDK, for a datetime with a time zone) may send
    moment = datetime(2026, 1, 2, 3, 4, 5, 600, tzinfo=UTC)
    data = {"at": msgpack.Timestamp.from_datetime(moment),
            "deep": [{"at": msgpack.Timestamp(0, 0)}], "odd": msgpack.ExtType(5, b"ab")}
    record = [Kind.EVENT, "s", 1.0, "e", "info", None, [], None, data, None]
    frame = msgpack.packb([PROTOCOL_VERSION, "c", 1, {}, [record]])
    [decoded] = decode_frame(frame).records
    assert decoded[8] == {"at": "2026-01-02T03:04:05.000600Z",
                          "deep": [{"at": "1970-01-01T00:00:00Z"}],
                          "odd": "<msgpack ext 5: 2 bytes>"}


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview], ids=lambda t: t.__name__)
def test_decoders_accept_every_bytes_like(wrap):
    data = _frame([FULL_RECORDS[Kind.STATE]])
    assert decode_frame(wrap(data)).records == [FULL_RECORDS[Kind.STATE]]
    assert decode_batch(wrap(encode_batch(_batch())))[0]["seq"] == 3


@pytest.mark.parametrize("metric_type", sorted(METRIC_TYPES))
def test_every_metric_type_round_trips(metric_type):
    record = [Kind.METRIC, "s", 1, "latency", 0.5, metric_type, "s", None, None]
    assert decode_frame(_frame([record])).records == [record]


def test_batch_round_trips():
    batch = _batch()
    assert decode_batch(encode_batch(batch)) == (batch, {})


def test_batch_with_every_lifecycle_kind_round_trips():
    lifecycle = [[int(kind), TS + i, {"i": i}] for i, kind in enumerate(sorted(LIFECYCLE_KINDS))]
    batch = _batch(sessions={"a": {"lifecycle": lifecycle}, "b": {}})
    assert decode_batch(encode_batch(batch)) == (batch, {})


@pytest.mark.parametrize("status,reason", [("ok", ""), ("duplicate", ""),
                                           ("rejected", "bad_field"), ("error", "Timeout")])
def test_ack_round_trips(status, reason):
    assert decode_ack(encode_ack(41, status, reason, "d-1")) == {
        "seq": 41, "status": status, "reason": reason, "daemon_id": "d-1"}


def test_protocol_error_is_a_value_error_with_reason_and_detail():
    error = ProtocolError("too_deep", "nesting deeper than 32")
    assert isinstance(error, ValueError)
    assert (error.reason, error.detail, str(error)) == ("too_deep", "nesting deeper than 32",
                                                        "too_deep: nesting deeper than 32")
