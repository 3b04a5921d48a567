"""Wire protocol: fuzzing: whatever arrives, the decoders raise ProtocolError or nothing."""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datacat.protocol import (
    PROTOCOL_VERSION,
    ROW,
    Kind,
    Limits,
    ProtocolError,
    check_record,
    decode_ack,
    decode_batch,
    decode_frame,
    encode_ack,
    encode_batch,
    event_map,
    row_record,
    split_frame,
)
from datacat.protocol.checks import well_typed

from .support import FULL_RECORDS, SMALL, _batch, _frame, _raw_frame

FUZZ = settings(max_examples=300, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])
_DECODERS = [decode_frame, split_frame, decode_batch, decode_ack]
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


_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=False) | st.text(max_size=3)
    | st.binary(max_size=2),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=2) | st.integers(0, 3) | st.binary(max_size=1), inner,
                      max_size=3),
    max_leaves=8)


@st.composite
def _common_record(draw) -> list:
    """A STATE, EVENT, METRIC or BEAT record with some fields swapped for odd values."""
    kind = draw(st.sampled_from([Kind.STATE, Kind.EVENT, Kind.METRIC, Kind.BEAT]))
    record = [int(kind), *FULL_RECORDS[kind][1:]]
    for _ in range(draw(st.integers(0, 2))):
        record[draw(st.integers(0, len(record) - 1))] = draw(_VALUES)
    if draw(st.booleans()):
        record = record[:draw(st.integers(0, len(record)))]
    return record


def _outcome(check, record, limits):
    try:
        return check(record, limits)
    except ProtocolError as exc:
        return exc.reason


@FUZZ
@given(record=_common_record(), limits=_LIMITS)
def test_the_one_pass_check_agrees_with_check_record(record, limits):
    fast = _outcome(well_typed, record, limits)
    assert fast in (True, False) or fast == _outcome(check_record, record, limits)
    if fast is True:
        assert _outcome(check_record, record, limits) in set(Kind)


def _through_rows(frame: bytes, limits: Limits):
    """What the daemon and the worker together make of a frame: its valid records (events as
    maps) and every invalid one's reason, or ``None`` if the split hands it to decode_frame."""
    split = split_frame(frame, limits)
    if split is None:
        return None
    valid, invalid = [], Counter(split.invalid)
    batch = decode_batch(encode_batch(_batch(v=2, sessions={"s": {"event_rows": [
        record[3] for record in split.records if record[0] == ROW]}})), limits, invalid)[0]
    events = iter(batch["sessions"].get("s", {}).get("events", []))
    for record in split.records:
        if record[0] == ROW:
            valid.append(next(events, None)) if not _row_invalid(record[3], limits) else None
        else:
            valid.append(event_map(record) if record[0] == Kind.EVENT else list(record))
    return [v for v in valid if v is not None], +invalid


def _row_invalid(raw, limits) -> bool:
    try:
        row_record(raw, limits)
    except ProtocolError:
        return True
    return False


@FUZZ
@given(records=st.lists(_common_record(), min_size=1, max_size=6), limits=_LIMITS)
def test_rows_and_the_split_judge_records_as_decode_frame_does(records, limits):
    frame = _raw_frame(PROTOCOL_VERSION, "c", 1, 0, records)
    rows = _through_rows(frame, limits)
    try:
        decoded = decode_frame(frame, limits, strict=False)
    except ProtocolError:
        assert rows is None  # a frame rejected whole is still rejected whole
        return
    if rows is None:
        return
    expected = [event_map(r) if r[0] == Kind.EVENT else list(r) for r in decoded.records]
    assert rows == (expected, Counter(decoded.invalid))
