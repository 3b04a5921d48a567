"""Event rows: event records that travel from the daemon to the tier as their packed bytes.

The daemon splits a client frame with msgspec into each record's head (``kind, session_id,
ts``) and its bytes, and passes an event record small enough that it cannot break the
frame's limits through unchanged (``split_frame``); the ingest worker checks each row as
the daemon checked the record before, and turns it into the event map the store takes
(``row_event``).
"""

from __future__ import annotations

import sys
from typing import Annotated, Any, Literal

import msgspec

from .checks import check_record, invalid_reason, text_key, unpack_limited, well_typed
from .frames import Frame, array_header, dropped_totals
from .records import DEFAULT_LIMITS, PROTOCOL_VERSION, Kind, Limits, ProtocolError

__all__ = ["ROW", "row_bytes", "split_frame", "row_event", "row_record", "row_level",
           "event_map"]

#: The kind of an event record the daemon holds as bytes: ``(ROW, sid, ts, msgspec.Raw)``.
ROW = 0
_EVENT = Kind.EVENT.value
#: msgpack's decoder rejects nesting past its stack (1,024) as ``too_deep``, for the whole
#: frame; msgspec stops at Python's recursion limit first, and so falls back to that path.
_MSGPACK_STACK = 1024

_SID = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
_NUMBER = int | float
_SCALAR = str | int | float | bool | None
_FLAT = dict[str, _SCALAR]

class _Head(msgspec.Struct, array_like=True, gc=False):
    """A record's first three fields (the rest of the array is skipped)."""

    kind: int
    sid: _SID
    ts: int | float


class _EventHead(msgspec.Struct, array_like=True):
    kind: int
    sid: str
    ts: Any
    name: Any
    level: Any


#: The common state and metric records, decoded and checked in C in one call each: a
#: record of other types or shapes (deeper patches, Timestamps, keys that are not text)
#: is decoded by msgpack and checked as ``decode_frame`` checks it.
_STATE, _METRIC = Kind.STATE.value, Kind.METRIC.value
_TYPED_STATE = msgspec.msgpack.Decoder(tuple[
    Literal[2], _SID, _NUMBER, dict[str, _SCALAR | _FLAT | list[_SCALAR]]])
_TYPED_METRIC = msgspec.msgpack.Decoder(tuple[
    Literal[4], _SID, _NUMBER, str, _NUMBER, Literal["gauge", "counter", "histogram", "timer"],
    str | None, _FLAT | None, list[_NUMBER] | None])
_RECORD_BYTES = msgspec.msgpack.Decoder(tuple[int, str, int, Any, list[msgspec.Raw]])
_RECORD_HEADS = msgspec.msgpack.Decoder(tuple[int, str, int, Any, list[_Head]])
_LEVEL = msgspec.msgpack.Decoder(_EventHead)


def row_bytes(limits: Limits) -> int:
    """The largest event record that passes as bytes: it can hold no string longer than
    ``max_string``, no map of more than ``max_keys`` entries (each takes at least 2 bytes)
    and no array past the decoder's bound (each element takes at least a byte)."""
    return min(2 * limits.max_keys, limits.max_string, max(limits.max_keys, limits.max_records))


def split_frame(data: bytes, limits: Limits = DEFAULT_LIMITS):
    """A client frame with its small event records as ``(ROW, sid, ts, bytes)`` and the
    others decoded and checked as ``decode_frame(strict=False)`` would; ``None`` if the
    frame is not one this path can read exactly (``decode_frame`` then says what it is).

    Returns a ``Frame``; an invalid decoded record is counted in ``Frame.invalid``. Rows
    are checked where they are applied (``row_event``).
    """
    if len(data) > limits.max_frame_bytes or sys.getrecursionlimit() > _MSGPACK_STACK:
        return None
    try:
        version, client_id, seq, dropped, raws = _RECORD_BYTES.decode(data)
        heads = _RECORD_HEADS.decode(data)[4]
        dropped = dropped_totals(dropped)
    except (msgspec.DecodeError, RecursionError, ProtocolError):
        return None
    if type(version) is not int or version != PROTOCOL_VERSION or len(raws) > limits.max_records:
        return None
    largest, state, metric = row_bytes(limits), _TYPED_STATE.decode, _TYPED_METRIC.decode
    records: list = []
    append = records.append
    at, rest = [], []
    for head, raw in zip(heads, raws):
        kind = head.kind
        if len(raw) <= largest:
            if kind == _EVENT:
                append((ROW, head.sid, head.ts, raw))
                continue
            if kind == _STATE or kind == _METRIC:
                try:
                    append(state(raw) if kind == _STATE else metric(raw))
                    continue
                except (msgspec.DecodeError, RecursionError):  # msgpack says what it is
                    pass
        at.append(len(records))
        append(None)
        rest.append(raw)
    invalid: dict = {}
    if rest:
        try:  # one decoder call for them all: the same limits as the frame's
            decoded = unpack_limited(array_header(len(rest)) + b"".join(rest), limits,
                                     limits.max_frame_bytes)
        except ProtocolError:
            return None
        for index, record in zip(at, decoded):
            reason = invalid_reason(record, limits)
            if reason is None:
                records[index] = record
            elif reason == "bad_key":  # bytes as a key: decode_frame's verdict depends on
                return None            # the other records' keys (all become text, or none)
            else:
                invalid[reason] = invalid.get(reason, 0) + 1
        if invalid:
            records = [record for record in records if record is not None]
    return Frame(client_id, seq, dropped, records, invalid)


def _keys_as_text(row: list, limits: Limits) -> bool:
    """Turn every map key below ``row`` into text, in place, if any is neither text nor
    bytes (what the daemon's lenient decoding does); False if none needed it."""
    maps, stack = [], [(row, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limits.max_depth:
            raise ProtocolError("too_deep", f"nesting deeper than {limits.max_depth}")
        if type(node) is dict:
            maps.append(node)
            children = node.values()
        elif type(node) is list:
            children = node
        else:
            continue
        stack.extend((child, depth + 1) for child in children
                     if type(child) is dict or type(child) is list)
    if all(type(key) is str or type(key) is bytes for node in maps for key in node):
        return False
    for node in maps:
        pairs = list(node.items())
        node.clear()
        node.update((text_key(key), value) for key, value in pairs)
    return True


def _checked_event(row: Any, limits: Limits) -> list:
    try:
        if not well_typed(row, limits):
            check_record(row, limits)
    except ProtocolError as exc:
        if exc.reason != "bad_key" or not _keys_as_text(row, limits):
            raise
        if not well_typed(row, limits):
            check_record(row, limits)
    if row[0] != _EVENT:
        raise ProtocolError("bad_record", "an event row holds an event record")
    return row


def event_map(record: list) -> dict:
    """A checked event record as the map a batch and the store hold."""
    _, _, ts, name, level, category, labels, message, data, exception = record
    event = {"ts": ts, "name": name, "level": level}
    if category is not None:
        event["category"] = category
    if labels:
        event["labels"] = labels
    if message is not None:
        event["message"] = message
    if data is not None:
        event["data"] = data
    if exception is not None:
        event["exception"] = exception
    return event


def row_event(row: Any, limits: Limits = DEFAULT_LIMITS) -> dict:
    """A decoded row checked as the daemon checks an event record (types, depth, keys as
    text, Timestamps as ISO 8601 text) and made its event map; raises ``ProtocolError``."""
    return event_map(_checked_event(row, limits))


def row_record(raw: bytes | msgspec.Raw, limits: Limits = DEFAULT_LIMITS) -> list:
    """An event row's bytes decoded and checked as ``decode_frame(strict=False)`` checks a
    record; raises ``ProtocolError``."""
    try:
        row = unpack_limited(memoryview(raw), limits, limits.max_frame_bytes)
    except ProtocolError as exc:
        if exc.reason not in ("bad_key", "malformed"):
            raise
        row = unpack_limited(memoryview(raw), limits, limits.max_frame_bytes, keys="text")
    return _checked_event(row, limits)


def row_level(row: Any) -> str | None:
    """An event row's level (``None`` if it has no text there): the spool's compaction
    drops events by level."""
    if type(row) is list:
        level = row[4] if len(row) > 4 else None
    else:
        try:
            level = _LEVEL.decode(row).level
        except msgspec.DecodeError:
            return None
    return level if type(level) is str else None
