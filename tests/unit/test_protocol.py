"""Wire protocol: round trips, and one rejection reason per broken rule or limit."""

from __future__ import annotations

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datacat.protocol import (
    LIFECYCLE_KINDS,
    METRIC_TYPES,
    PROTOCOL_VERSION,
    RECORD_FIELDS,
    Frame,
    Kind,
    Limits,
    ProtocolError,
    decode_ack,
    decode_batch,
    decode_frame,
    encode_ack,
    encode_batch,
    encode_frame,
    record_as_dict,
)

SID = "0190a6f2-7a1b-7c3d-8e4f-0123456789ab"
TS = 1_700_000_000.25

#: A well-typed value for every field name in ``RECORD_FIELDS`` (names mean one type).
FULL_VALUES = {
    "product": "game", "version": "1.2.3", "pid": 4242, "start_time": TS - 1.5,
    "hostname": "host-1", "machine_id": "machine-1", "tags": {"env": "ci"},
    "sdk": "datacat-py/0.1", "hang_timeout": 30.0, "parent_session_id": "parent-1",
    "fault_file": "/run/user/1000/datacat/faults/s.txt",
    "patch": {"level": 3, "player": {"hp": 10, "inv": ["axe"]}},
    "name": "boss_killed", "level": "info", "category": "gameplay", "labels": ["boss", "fast"],
    "message": "took 12 s", "data": {"boss": "troll"},
    "exception": {"type": "ValueError", "trace": "..."},
    "value": 59.9, "type": "histogram", "unit": "frames", "buckets": [1.0, 10.0, 100.0],
    "reason": "process_vanished", "detail": {"exit_code": -9, "stack": "main.py:10"},
    "stacks": {"MainThread": "main.py:10 in loop"},
}
#: The same with every optional field left out (``None``) and integers for numbers.
MINIMAL_VALUES = {
    **{name: None for name in FULL_VALUES},
    "product": "p", "version": "v", "pid": 1, "start_time": 0, "patch": {}, "name": "e",
    "level": "debug", "labels": [], "value": 1, "type": "counter", "reason": "",
    "stacks": {},
}
#: A value of the wrong type for every field name.
WRONG_TYPE = {
    "product": 1, "version": None, "pid": "4242", "start_time": "yesterday", "hostname": 1,
    "machine_id": 1.5, "tags": ["a"], "sdk": 2, "hang_timeout": "30", "parent_session_id": 7,
    "fault_file": 8, "patch": ["not", "a", "map"], "name": None, "level": 3, "category": 4,
    "labels": "a,b", "message": 5, "data": [1], "exception": "boom", "value": "59.9",
    "type": None, "unit": 6, "buckets": "1,2", "reason": None, "detail": "stack",
    "stacks": [],
}
FIELD_NAMES = {name for names in RECORD_FIELDS.values() for name in names}


def _record(kind: Kind, values: dict, sid: str = SID, ts: float = TS) -> list:
    """``[kind, session_id, ts, *fields]`` with each field taken from ``values`` by name."""
    return [kind, sid, ts, *(values.get(name) for name in RECORD_FIELDS[kind])]


FULL_RECORDS = {kind: _record(kind, FULL_VALUES) for kind in Kind}
MINIMAL_RECORDS = {kind: _record(kind, MINIMAL_VALUES, "s", 0) for kind in Kind}


def table(cases: list) -> list:
    """``(id, *values)`` rows as ``pytest.param``s."""
    return [pytest.param(*case[1:], id=case[0]) for case in cases]


def _frame(records: list, **header) -> bytes:
    return encode_frame(header.get("client_id", "client-1"), header.get("seq", 7),
                        header.get("dropped", 0), records)


def _raw_frame(*fields) -> bytes:
    """A frame packed by hand, so that any header or record can be broken."""
    return msgpack.packb(list(fields), use_bin_type=True)


def _nested(depth: int, leaf=1, container="map"):
    """``depth`` nested containers around ``leaf`` (depth 1 is one map or list)."""
    value = leaf
    for _ in range(depth):
        value = {"k": value} if container == "map" else [value]
    return value


def _state_frame(patch) -> bytes:
    return _frame([[Kind.STATE, "s", 1.0, patch]])


def _batch(**overrides) -> dict:
    batch = {"v": PROTOCOL_VERSION, "daemon_id": "daemon-1", "seq": 3, "host": "host-1",
             "sent_at": TS, "stats": {"frames_in": 10},
             "sessions": {SID: {"open": {"product": "game", "version": "1", "ts": TS},
                                "state": [[TS, {"a": 1}]],
                                "events": [{"ts": TS, "name": "e"}],
                                "metrics": [{"ts": TS, "name": "m", "type": "gauge", "last": 1}],
                                "beat": TS,
                                "lifecycle": [[int(Kind.END), TS, {"reason": "normal"}]]}}}
    batch.update(overrides)
    return batch


def _reason(decode, data, *args) -> str:
    with pytest.raises(ProtocolError) as info:
        decode(data, *args)
    return info.value.reason


# --- round trips ---------------------------------------------------------------------------


def test_value_tables_cover_every_field():
    assert set(RECORD_FIELDS) == set(Kind)
    # a new field needs a good, a minimal and a wrong value above
    assert FIELD_NAMES <= set(FULL_VALUES) & set(MINIMAL_VALUES) & set(WRONG_TYPE)


@pytest.mark.parametrize("table", [FULL_RECORDS, MINIMAL_RECORDS], ids=["full", "minimal"])
@pytest.mark.parametrize("kind", list(Kind), ids=lambda kind: kind.name)
def test_every_kind_round_trips(kind, table):
    record = table[kind]
    frame = decode_frame(_frame([record], client_id="cli", seq=99, dropped=4))
    assert frame == Frame("cli", 99, 4, [list(record)])
    assert frame.records[0][0] == kind
    named = record_as_dict(frame.records[0])
    assert named == dict(zip(RECORD_FIELDS[kind], record[3:]), ts=record[2])


def test_frame_with_every_kind_keeps_record_order():
    records = [FULL_RECORDS[kind] for kind in Kind] + [MINIMAL_RECORDS[kind] for kind in Kind]
    frame = decode_frame(_frame(records))
    assert [record[0] for record in frame.records] == [record[0] for record in records]
    assert frame.records == [list(record) for record in records]


def test_empty_frame_and_tuple_records_round_trip():
    assert decode_frame(_frame([])) == Frame("client-1", 7, 0, [])
    as_tuple = tuple(FULL_RECORDS[Kind.END])  # the SDK appends tuples as they are
    assert decode_frame(_frame([as_tuple])).records == [list(as_tuple)]


def test_reused_packer_gives_the_same_bytes():
    packer = msgpack.Packer()
    records = [FULL_RECORDS[Kind.EVENT]]
    first = encode_frame("c", 1, 0, records, packer=packer)
    assert first == encode_frame("c", 1, 0, records, packer=packer) == encode_frame("c", 1, 0,
                                                                                    records)


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview], ids=lambda t: t.__name__)
def test_decoders_accept_every_bytes_like(wrap):
    data = _frame([FULL_RECORDS[Kind.STATE]])
    assert decode_frame(wrap(data)).records == [FULL_RECORDS[Kind.STATE]]
    assert decode_batch(wrap(encode_batch(_batch())))["seq"] == 3


@pytest.mark.parametrize("metric_type", sorted(METRIC_TYPES))
def test_every_metric_type_round_trips(metric_type):
    record = [Kind.METRIC, "s", 1, "latency", 0.5, metric_type, "s", None, None]
    assert decode_frame(_frame([record])).records == [record]


def test_batch_round_trips():
    batch = _batch()
    assert decode_batch(encode_batch(batch)) == batch


def test_batch_with_every_lifecycle_kind_round_trips():
    lifecycle = [[int(kind), TS + i, {"i": i}] for i, kind in enumerate(sorted(LIFECYCLE_KINDS))]
    batch = _batch(sessions={"a": {"lifecycle": lifecycle}, "b": {}})
    assert decode_batch(encode_batch(batch)) == batch


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


# --- limits: the value at the limit passes, one past it fails with the limit's reason ----


SMALL = Limits(max_frame_bytes=200, max_batch_bytes=300, max_depth=4, max_keys=3,
               max_string=8, max_records=20)

LIMIT_CASES = [
    # (id, decoder, payload at the limit, payload past it, limits, reason)
    ("frame_bytes", decode_frame, _state_frame({"s": "x" * 100}), _state_frame({"s": "x" * 200}),
     Limits(max_frame_bytes=len(_state_frame({"s": "x" * 100}))), "too_large"),
    ("batch_bytes", decode_batch, encode_batch(_batch(host="h" * 10)),
     encode_batch(_batch(host="h" * 11)), Limits(max_batch_bytes=len(encode_batch(
         _batch(host="h" * 10)))), "too_large"),
    ("depth_maps", decode_frame, _state_frame(_nested(4)), _state_frame(_nested(5)), SMALL,
     "too_deep"),
    ("depth_lists", decode_frame, _state_frame({"k": _nested(3, container="list")}),
     _state_frame({"k": _nested(4, container="list")}), SMALL, "too_deep"),
    ("depth_event_data", decode_frame,
     _frame([[Kind.EVENT, "s", 1, "e", "info", None, [], None, _nested(4), None]]),
     _frame([[Kind.EVENT, "s", 1, "e", "info", None, [], None, _nested(5), None]]), SMALL,
     "too_deep"),
    ("depth_batch", decode_batch, encode_batch(_batch(sessions={"s": {"x": _nested(3)}})),
     encode_batch(_batch(sessions={"s": {"x": _nested(4)}})), Limits(max_depth=4), "too_deep"),
    ("keys", decode_frame, _state_frame({"a": 1, "b": 2, "c": 3}),
     _state_frame({"a": 1, "b": 2, "c": 3, "d": 4}), SMALL, "too_many_keys"),
    ("keys_nested", decode_frame, _state_frame({"a": {"x": 1, "y": 2, "z": 3}}),
     _state_frame({"a": {"w": 0, "x": 1, "y": 2, "z": 3}}), SMALL, "too_many_keys"),
    ("string", decode_frame, _state_frame({"a": "x" * 8}), _state_frame({"a": "x" * 9}), SMALL,
     "string_too_long"),
    ("string_key", decode_frame, _state_frame({"k" * 8: 1}), _state_frame({"k" * 9: 1}), SMALL,
     "string_too_long"),
    ("string_bin", decode_frame, _state_frame({"a": b"x" * 8}), _state_frame({"a": b"x" * 9}),
     SMALL, "string_too_long"),
    ("records", decode_frame, _frame([MINIMAL_RECORDS[Kind.BEAT]] * 2),
     _frame([MINIMAL_RECORDS[Kind.BEAT]] * 3), Limits(max_records=2), "too_many_records"),
]


@pytest.mark.parametrize("decode,at_limit,past_limit,limits,reason", table(LIMIT_CASES))
def test_each_limit_is_enforced_with_its_reason(decode, at_limit, past_limit, limits, reason):
    decode(at_limit, limits)
    assert _reason(decode, past_limit, limits) == reason


def test_limit_cases_cover_every_field_of_limits():
    reasons = {case[-1] for case in LIMIT_CASES}
    assert reasons == {"too_large", "too_deep", "too_many_keys", "string_too_long",
                       "too_many_records"}
    assert len(Limits.__dataclass_fields__) == 6  # a new limit needs a case above


# Past the *default* limits: what a client could send at a real daemon or tier.
DEFAULT_LIMIT_CASES = [
    ("frame_bytes", decode_frame, b"\x00" * (Limits().max_frame_bytes + 1), "too_large"),
    ("batch_bytes", decode_batch, b"\x00" * (Limits().max_batch_bytes + 1), "too_large"),
    ("ack_bytes", decode_ack, msgpack.packb({"seq": 1, "reason": "x" * 5000}), "too_large"),
    ("depth_33", decode_frame, _state_frame(_nested(Limits().max_depth + 1)), "too_deep"),
    ("keys", decode_frame, _state_frame({str(i): i for i in range(Limits().max_keys + 1)}),
     "too_many_keys"),
    ("string", decode_frame, _state_frame({"a": "x" * (Limits().max_string + 1)}),
     "string_too_long"),
    ("records", decode_frame, _frame([MINIMAL_RECORDS[Kind.BEAT]] * (Limits().max_records + 1)),
     "too_many_records"),
    ("sessions_in_batch", decode_batch,
     encode_batch(_batch(sessions={str(i): {} for i in range(Limits().max_keys + 1)})),
     "too_many_keys"),
]


@pytest.mark.parametrize("decode,data,reason", table(DEFAULT_LIMIT_CASES))
def test_default_limits_reject(decode, data, reason):
    assert _reason(decode, data) == reason


def test_default_depth_limit_itself_is_accepted():
    assert decode_frame(_state_frame(_nested(Limits().max_depth))).records


# A recursion bomb: 100,000 nested containers written as raw msgpack bytes.
_FRAME_HEAD = (b"\x95" + msgpack.packb(PROTOCOL_VERSION) + msgpack.packb("c") + b"\x01\x00"
               + b"\x91\x94" + msgpack.packb(int(Kind.STATE)) + msgpack.packb("s") + b"\x01")
BOMBS = [
    ("lists", b"\x91" * 100_000 + b"\xc0"),
    ("maps", b"\x81\xa1k" * 100_000 + b"\xc0"),
    ("mixed", b"\x81\xa1k\x91" * 50_000 + b"\xc0"),
]


@pytest.mark.parametrize("bomb", table(BOMBS))
@pytest.mark.parametrize("where", ["whole_payload", "inside_a_state_patch"])
def test_recursion_bomb_is_too_deep(bomb, where):
    frame = bomb if where == "whole_payload" else _FRAME_HEAD + b"\x81\xa1k" + bomb
    assert _reason(decode_frame, frame) == "too_deep"
    assert _reason(decode_batch, bomb) == "too_deep"


# --- everything else a frame can get wrong -----------------------------------------------


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
    ("version_2", encode_batch(_batch(v=2)), "bad_version"),
    ("version_true", encode_batch(_batch(v=True)), "bad_version"),
    ("no_version", encode_batch(_drop(_batch(), "v")), "malformed"),
    ("no_daemon_id", encode_batch(_drop(_batch(), "daemon_id")), "malformed"),
    ("daemon_id_int", encode_batch(_batch(daemon_id=5)), "malformed"),
    ("seq_string", encode_batch(_batch(seq="3")), "malformed"),
    ("no_sent_at", encode_batch(_drop(_batch(), "sent_at")), "malformed"),
    ("sessions_list", encode_batch(_batch(sessions=[])), "malformed"),
    ("part_not_map", encode_batch(_batch(sessions={"s": [1]})), "malformed"),
    ("session_key_int", encode_batch(_batch(sessions={1: {}})), "bad_key"),
    ("session_key_bin", encode_batch(_batch(sessions={b"s": {}})), "bad_key"),
    ("state_not_list", encode_batch(_batch(sessions={"s": {"state": {"a": 1}}})), "malformed"),
    ("events_nil", encode_batch(_batch(sessions={"s": {"events": None}})), "malformed"),
    ("metrics_map", encode_batch(_batch(sessions={"s": {"metrics": {}}})), "malformed"),
    ("lifecycle_int", encode_batch(_batch(sessions={"s": {"lifecycle": 8}})), "malformed"),
    ("key_in_patch", encode_batch(_batch(sessions={"s": {"state": [[1, {2: 3}]]}})), "bad_key"),
    ("trailing_byte", encode_batch(_batch()) + b"\xc0", "malformed"),
]


@pytest.mark.parametrize("data,reason", table(BATCH_REJECTIONS))
def test_batch_rejections(data, reason):
    assert _reason(decode_batch, data) == reason


@pytest.mark.parametrize("data,reason", [
    (msgpack.packb([1, "ok"]), "malformed"),
    (msgpack.packb({"status": "ok"}), "malformed"),
    (msgpack.packb({"seq": "1", "status": "ok"}), "malformed"),
    (encode_ack(1, "ok")[:-1], "truncated"),
    (encode_ack(1, "ok") + b"\x00", "malformed"),
], ids=["array", "no_seq", "seq_string", "truncated", "trailing"])
def test_ack_rejections(data, reason):
    assert _reason(decode_ack, data) == reason


# --- fuzzing: whatever arrives, the decoders raise ProtocolError or nothing ----------------

FUZZ = settings(max_examples=300, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])
_DECODERS = [decode_frame, decode_batch, decode_ack]
_LIMITS = st.sampled_from([Limits(), SMALL, Limits(max_depth=1, max_keys=1, max_string=1)])


def _decode_all(data: bytes, limits: Limits) -> None:
    for decode in _DECODERS:
        try:
            decode(data) if decode is decode_ack else decode(data, limits)
        except ProtocolError:
            pass


@FUZZ
@given(data=st.binary(max_size=512), limits=_LIMITS)
def test_random_bytes_raise_only_protocol_error(data, limits):
    _decode_all(data, limits)


_VALID = [_frame([FULL_RECORDS[kind]]) for kind in Kind] + [
    _frame([FULL_RECORDS[kind] for kind in Kind]), encode_batch(_batch()), encode_ack(3, "ok")]


@st.composite
def _mutated(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(_VALID)))
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["flip", "set", "insert", "delete", "cut", "repeat"]))
        if action == "flip" and where < len(data):
            data[where] ^= 1 << draw(st.integers(0, 7))
        elif action == "set" and where < len(data):
            data[where] = draw(st.integers(0, 255))
        elif action == "insert":
            data[where:where] = draw(st.binary(min_size=1, max_size=8))
        elif action == "delete":
            del data[where:where + draw(st.integers(1, 8))]
        elif action == "cut":
            del data[where:]
        elif action == "repeat":
            data[where:where] = data[where:where + draw(st.integers(1, 16))]
    return bytes(data)


@FUZZ
@given(data=_mutated(), limits=_LIMITS)
def test_mutated_valid_payloads_raise_only_protocol_error(data, limits):
    _decode_all(data, limits)


_SCALARS = (st.none() | st.booleans() | st.integers(-2**63, 2**64 - 1) | st.floats()
            | st.text(max_size=10) | st.binary(max_size=10))
_TREES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=5)
    | st.dictionaries(st.text(max_size=5) | st.integers(-2**63, 2**63 - 1) | st.binary(max_size=3), inner,
                      max_size=5),
    max_leaves=30)
_KINDS = st.integers(-1, len(Kind) + 1) | _SCALARS


@FUZZ
@given(kind=_KINDS, sid=_SCALARS, ts=_SCALARS, fields=st.lists(_TREES, max_size=12),
       version=st.sampled_from([PROTOCOL_VERSION, 0, True, None]), limits=_LIMITS)
def test_structured_garbage_raises_only_protocol_error(kind, sid, ts, fields, version, limits):
    frame = _raw_frame(version, "c", 1, 0, [[kind, sid, ts, *fields]])
    batch = encode_batch(_batch(v=version, sessions={"s": {"state": [[ts, fields]]},
                                                     "t": {"events": fields}}))
    _decode_all(frame, limits)
    _decode_all(batch, limits)
