"""Wire protocol: everything else a frame can get wrong."""

from __future__ import annotations

import msgpack
import pytest

from datacat.protocol import (
    RECORD_FIELDS,
    Kind,
    decode_ack,
    decode_batch,
    decode_frame,
    encode_ack,
    encode_batch,
)

from .support import (
    FULL_RECORDS,
    MINIMAL_RECORDS,
    WRONG_TYPE,
    _batch,
    _frame,
    _nested,
    _raw_frame,
    _reason,
    _state_frame,
    table,
)


def _wrong_field_cases():
    for kind in Kind:
        for i, name in enumerate(RECORD_FIELDS[kind]):
            record = list(FULL_RECORDS[kind])
            record[3 + i] = WRONG_TYPE[name]
            yield pytest.param(record, id=f"{kind.name}.{name}")


@pytest.mark.parametrize("record", list(_wrong_field_cases()))
def test_wrong_field_type_is_bad_field(record):
    assert _reason(decode_frame, _frame([record])) == "bad_field"


def _wrong_count_cases():
    for kind in Kind:
        record = FULL_RECORDS[kind]
        yield pytest.param(record + ["extra"], id=f"{kind.name}+1")
        yield pytest.param(record[:-1], id=f"{kind.name}-1")


@pytest.mark.parametrize("record", list(_wrong_count_cases()))
def test_wrong_field_count_is_bad_record(record):
    assert _reason(decode_frame, _frame([record])) == "bad_record"


def _with(kind: Kind, field: str | int, value) -> list:
    """A full record of ``kind`` with ``field`` (a name, or 1 for the sid, 2 for ts) set."""
    record = list(FULL_RECORDS[kind])
    record[field if isinstance(field, int) else 3 + RECORD_FIELDS[kind].index(field)] = value
    return record


FRAME_REJECTIONS = [
    # unknown kinds (True and 2.0 compare equal to kinds but are not kinds)
    ("kind_0", _frame([[0, "s", 1]]), "unknown_kind"),
    ("kind_past_last", _frame([[max(Kind) + 1, "s", 1]]), "unknown_kind"),
    ("kind_negative", _frame([[-1, "s", 1]]), "unknown_kind"),
    ("kind_name", _frame([["state", "s", 1, {}]]), "unknown_kind"),
    ("kind_nil", _frame([[None, "s", 1]]), "unknown_kind"),
    ("kind_true", _frame([[True, *MINIMAL_RECORDS[Kind.OPEN][1:]]]), "unknown_kind"),
    ("kind_float", _frame([[5.0, "s", 1]]), "unknown_kind"),
    ("kind_list", _frame([[[5], "s", 1]]), "unknown_kind"),
    # record shape
    ("record_not_array", _frame([5]), "bad_record"),
    ("record_map", _frame([{"kind": 5}]), "bad_record"),
    ("record_too_short", _frame([[int(Kind.BEAT), "s"]]), "bad_record"),
    ("record_empty", _frame([[]]), "bad_record"),
    ("session_id_empty", _frame([_with(Kind.BEAT, 1, "")]), "bad_record"),
    ("session_id_65", _frame([_with(Kind.BEAT, 1, "s" * 65)]), "bad_record"),
    ("session_id_int", _frame([_with(Kind.BEAT, 1, 5)]), "bad_record"),
    ("ts_string", _frame([_with(Kind.BEAT, 2, "2024-01-01")]), "bad_record"),
    ("ts_bool", _frame([_with(Kind.BEAT, 2, True)]), "bad_record"),
    ("ts_nil", _frame([_with(Kind.BEAT, 2, None)]), "bad_record"),
    ("metric_type_unknown", _frame([_with(Kind.METRIC, "type", "sum")]), "bad_field"),
    ("bad_record_after_good", _frame([FULL_RECORDS[Kind.BEAT], [0, "s", 1]]), "unknown_kind"),
    # version
    ("version_2", _raw_frame(2, "c", 1, 0, []), "bad_version"),
    ("version_0", _raw_frame(0, "c", 1, 0, []), "bad_version"),
    ("version_true", _raw_frame(True, "c", 1, 0, []), "bad_version"),
    ("version_string", _raw_frame("1", "c", 1, 0, []), "bad_version"),
    ("version_nil", _raw_frame(None, "c", 1, 0, []), "bad_version"),
    # frame shape and header
    ("not_an_array", msgpack.packb({"v": 1}), "malformed"),
    ("scalar", msgpack.packb(1), "malformed"),
    ("four_fields", _raw_frame(1, "c", 1, 0), "malformed"),
    ("six_fields", _raw_frame(1, "c", 1, 0, [], None), "malformed"),
    ("client_id_int", _raw_frame(1, 5, 1, 0, []), "malformed"),
    ("seq_string", _raw_frame(1, "c", "1", 0, []), "malformed"),
    ("seq_bool", _raw_frame(1, "c", True, 0, []), "malformed"),
    ("dropped_float", _raw_frame(1, "c", 1, 0.5, []), "malformed"),
    ("records_map", _raw_frame(1, "c", 1, 0, {}), "malformed"),
    ("records_nil", _raw_frame(1, "c", 1, 0, None), "malformed"),
    # bytes that are not msgpack, or more or less than one object
    ("trailing_byte", _frame([]) + b"\x00", "malformed"),
    ("two_frames", _frame([]) * 2, "malformed"),
    ("reserved_byte", b"\xc1", "malformed"),
    ("invalid_utf8", b"\x95\x01\xa2\xff\xfe\x01\x00\x90", "malformed"),
    ("empty", b"", "truncated"),
    # map keys must be strings, at any depth and of any other type
    ("key_int", _state_frame({1: "a"}), "bad_key"),
    ("key_nil", _state_frame({None: "a"}), "bad_key"),
    ("key_float", _state_frame({1.5: "a"}), "bad_key"),
    ("key_bool", _state_frame({True: "a"}), "bad_key"),
    ("key_bin", _state_frame({b"k": "a"}), "bad_key"),
    ("key_bin_nested", _state_frame({"a": [{"b": {b"k": 1}}]}), "bad_key"),
    ("key_int_in_tags", _frame([_with(Kind.OPEN, "tags", {7: "x"})]), "bad_key"),
    ("key_array", b"\x95\x01\xa1c\x01\x00\x91\x94\x02\xa1s\x01\x81\x90\x01", "bad_key"),
]


@pytest.mark.parametrize("data,reason", table(FRAME_REJECTIONS))
def test_frame_rejections(data, reason):
    assert _reason(decode_frame, data) == reason


def test_every_truncation_is_truncated():
    data = _frame([FULL_RECORDS[kind] for kind in Kind])
    for end in range(len(data)):
        assert _reason(decode_frame, data[:end]) == "truncated", end
    batch = encode_batch(_batch())
    for end in range(0, len(batch), 7):
        assert _reason(decode_batch, batch[:end]) == "truncated", end


NOT_BYTES = [None, "a string", 5, 1.5, [1, "c"], {"v": 1}, bytes]


@pytest.mark.parametrize("decode", [decode_frame, decode_batch, decode_ack],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("value", NOT_BYTES, ids=lambda v: type(v).__name__)
def test_non_bytes_input_is_bad_type(decode, value):
    assert _reason(decode, value) == "bad_type"


def _drop(mapping: dict, key: str) -> dict:
    return {k: v for k, v in mapping.items() if k != key}


BATCH_REJECTIONS = [
    ("not_a_map", encode_batch([1, 2]), "malformed"),
    ("version_3", encode_batch(_batch(v=3)), "bad_version"),
    ("version_true", encode_batch(_batch(v=True)), "bad_version"),
    ("no_version", encode_batch(_drop(_batch(), "v")), "malformed"),
    ("no_daemon_id", encode_batch(_drop(_batch(), "daemon_id")), "malformed"),
    ("daemon_id_int", encode_batch(_batch(daemon_id=5)), "malformed"),
    ("no_key", encode_batch(_drop(_batch(), "key")), "malformed"),
    ("forged_daemon_id", encode_batch(_batch(daemon_id="daemon-of-someone-else")),
     "forged_daemon_id"),
    ("wrong_key", encode_batch(_batch(key="k" * 31 + "x")), "forged_daemon_id"),
    ("seq_string", encode_batch(_batch(seq="3")), "malformed"),
    ("no_sent_at", encode_batch(_drop(_batch(), "sent_at")), "malformed"),
    ("sessions_list", encode_batch(_batch(sessions=[])), "malformed"),
    ("trailing_byte", encode_batch(_batch()) + b"\xc0", "malformed"),
]


@pytest.mark.parametrize("data,reason", table(BATCH_REJECTIONS))
def test_batch_rejections(data, reason):
    assert _reason(decode_batch, data) == reason


#: Parts the decoder takes out alone: (id, bad session part(s), the rejected map).
PART_REJECTIONS = [
    ("session_key_int", {1: {}}, {"1": "bad_key"}),
    ("session_key_bin", {b"s": {}}, {"b's'": "bad_key"}),
    ("key_in_patch", {"s": {"state": [[1, {2: 3}]]}}, {"s": "bad_key"}),
    ("too_deep", {"s": {"state": [[1, _nested(40)]]}}, {"s": "too_deep"}),
]


@pytest.mark.parametrize("bad,rejected", [(bad, rejected) for _, bad, rejected in PART_REJECTIONS],
                         ids=[name for name, _, _ in PART_REJECTIONS])
def test_a_bad_part_is_taken_out_alone(bad, rejected):
    good = _batch()["sessions"]
    batch, got = decode_batch(encode_batch(_batch(sessions={**good, **bad})))
    assert got == rejected
    assert batch["sessions"] == good


@pytest.mark.parametrize("data,reason", [
    (msgpack.packb([1, "ok"]), "malformed"),
    (msgpack.packb({"status": "ok"}), "malformed"),
    (msgpack.packb({"seq": "1", "status": "ok"}), "malformed"),
    (encode_ack(1, "ok")[:-1], "truncated"),
    (encode_ack(1, "ok") + b"\x00", "malformed"),
], ids=["array", "no_seq", "seq_string", "truncated", "trailing"])
def test_ack_rejections(data, reason):
    assert _reason(decode_ack, data) == reason


def test_a_lenient_decode_turns_map_keys_into_text_and_keeps_every_record():
    event = FULL_RECORDS[Kind.EVENT]
    odd = list(event[:8]) + [{1: "a", b"b": 2, (3, 4): {5.5: None}}] + list(event[9:])
    data = _frame([event, odd, event])
    assert _reason(decode_frame, data) == "bad_key"  # strict: refused
    frame = decode_frame(data, strict=False)
    assert frame.invalid == {} and len(frame.records) == 3
    assert frame.records[1][8] == {"1": "a", "b": 2, "(3, 4)": {"5.5": None}}
