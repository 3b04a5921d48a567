"""Client frames: packing them in the SDK, reading them in the daemon."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgpack
import msgspec

from .checks import REPR_CHARS, check_record, invalid_reason, unpack_limited, well_typed
from .records import DEFAULT_LIMITS, PROTOCOL_VERSION, Limits, ProtocolError

__all__ = ["Frame", "FrameEncoder", "encode_frame", "decode_frame", "dropped_totals", "frame_sender",
           "array_header"]

def array_header(count: int) -> bytes:
    """The shortest msgpack header of an array of ``count`` items (items packed apart are
    joined behind it)."""
    if count < 16:
        return bytes((0x90 | count,))
    if count < 0x10000:
        return b"\xdc" + count.to_bytes(2, "big")
    return b"\xdd" + count.to_bytes(4, "big")


@dataclass(frozen=True)
class Frame:
    """A decoded client frame."""

    client_id: str
    seq: int
    dropped: dict  # reason -> records the SDK could not send, running totals
    records: list
    invalid: dict = field(default_factory=dict)  # reason -> records dropped here (lenient decode)


def _repr_text(value: Any) -> str:
    """A value with no msgpack form: its ``repr``, bounded."""
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a broken __repr__ must not cost the record
        text = f"<{type(value).__name__}>"
    return text[:REPR_CHARS]


def _builtin(value: Any) -> Any:
    """What the fallback packer sends for a value msgpack has no type for: what the frame
    would have carried from msgspec (ISO 8601 text for dates and times, a datetime with a
    time zone in UTC, text for UUIDs and decimals, arrays for sets, maps for dataclasses),
    else its ``repr``."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(UTC)
    return msgspec.to_builtins(value, enc_hook=_repr_text)


class FrameEncoder:
    """Packs client frames; one per sender, reused (not thread-safe).

    msgspec packs a frame about 5x faster than msgpack's ``Packer``. It sends a datetime
    with a time zone as a msgpack Timestamp (the daemon turns it into ISO 8601 text, see
    ``decode_frame``), and any value it has no type for as its ``repr``. A frame it refuses
    (text that is not valid Unicode, an int past 64 bits, a reference cycle) is packed
    again by msgpack, which replaces bad code points; if that fails too, the caller splits
    the frame to find the record.
    """

    __slots__ = ("_encoder", "_packer")

    def __init__(self):
        self._encoder = msgspec.msgpack.Encoder(enc_hook=_repr_text)
        self._packer = msgpack.Packer(default=_builtin, unicode_errors="replace")

    def encode(self, payload: list) -> bytes:
        try:
            return self._encoder.encode(payload)
        except (TypeError, ValueError, OverflowError, RecursionError):
            return self._packer.pack(payload)


def encode_frame(client_id: str, seq: int, dropped: dict, records: list,
                 encoder: FrameEncoder | None = None) -> bytes:
    """Pack a client frame; pass a reused ``FrameEncoder`` on hot paths.

    ``dropped`` maps a reason to the running total of records the client could not send.
    """
    payload = [PROTOCOL_VERSION, client_id, seq, dropped, records]
    return (encoder or FrameEncoder()).encode(payload)


def dropped_totals(dropped: Any) -> dict:
    """A frame's drop counts as ``{reason: total}`` (an int is the older form: a full queue)."""
    if type(dropped) is int:
        return {"queue_full": dropped} if dropped > 0 else {}
    if not isinstance(dropped, dict) or len(dropped) > 64 or not all(
            isinstance(k, str) and len(k) <= 64 and type(v) is int and v >= 0
            for k, v in dropped.items()):
        raise ProtocolError("malformed", "bad drop counts")
    return dropped


def frame_sender(data: bytes) -> tuple[str, int] | None:
    """``(client_id, seq)`` read from a frame's head without decoding its records; ``None``
    if the head is not a frame's (``decode_frame`` then says why)."""
    try:
        unpacker = msgpack.Unpacker(raw=False, max_buffer_size=len(data))
        unpacker.feed(data)
        if unpacker.read_array_header() != 5 or unpacker.unpack() != PROTOCOL_VERSION:
            return None
        client_id, seq = unpacker.unpack(), unpacker.unpack()
    except Exception:  # noqa: BLE001 - any failure: not a frame's head
        return None
    return (client_id, seq) if type(client_id) is str and type(seq) is int else None


def decode_frame(data: bytes, limits: Limits = DEFAULT_LIMITS, strict: bool = True) -> Frame:
    """Decode and validate a client frame; raises ``ProtocolError`` on any violation.

    With ``strict=False`` an invalid record is left out alone and counted in ``Frame.invalid``
    by reason, and map keys that are not strings (an app's ``{1: "a"}``) are turned into text
    rather than costing the frame; the frame is still rejected whole when its envelope or a
    limit is broken. A msgpack Timestamp inside a record's maps and arrays becomes its
    ISO 8601 text in UTC (``check_tree``), and any other extension type a short text.
    """
    try:
        obj = unpack_limited(data, limits, limits.max_frame_bytes)
    except ProtocolError as exc:
        if strict or exc.reason not in ("bad_key", "malformed"):
            raise
        obj = unpack_limited(data, limits, limits.max_frame_bytes, keys="text")
    if not isinstance(obj, list) or len(obj) != 5:
        raise ProtocolError("malformed", "frame is not a 5-element array")
    version, client_id, seq, dropped, records = obj
    if type(version) is not int or version != PROTOCOL_VERSION:  # True == 1, but is no version
        raise ProtocolError("bad_version", repr(version)[:20])
    if not isinstance(client_id, str) or type(seq) is not int:
        raise ProtocolError("malformed", "bad frame header")
    dropped = dropped_totals(dropped)
    if not isinstance(records, list):
        raise ProtocolError("malformed", "records is not an array")
    if len(records) > limits.max_records:
        raise ProtocolError("too_many_records", f"{len(records)} > {limits.max_records}")
    if strict:
        for record in records:
            if not well_typed(record, limits):
                check_record(record, limits)
        return Frame(client_id, seq, dropped, records)
    valid, invalid = [], {}
    for record in records:
        reason = invalid_reason(record, limits)
        if reason is None:
            valid.append(record)
        else:
            invalid[reason] = invalid.get(reason, 0) + 1
    return Frame(client_id, seq, dropped, valid, invalid)
