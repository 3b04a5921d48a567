"""Daemon batches and the tier's acks: building, packing and reading them."""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from typing import Any

import msgpack
import msgspec

from .checks import check_tree, unpack_limited
from .records import DEFAULT_LIMITS, Limits, ProtocolError
from .rows import row_event, row_record

__all__ = ["BATCH_VERSION", "build_part", "build_batch", "encode_batch", "decode_batch",
           "read_spooled", "daemon_id_of", "new_daemon_identity", "peek_seq", "encode_ack",
           "decode_ack"]

#: 2: events travel as ``event_rows``; version 1 (``events`` as maps) is still read.
BATCH_VERSION = 2
_VERSIONS = (1, 2)

_BATCH_HEADER = {"v": int, "daemon_id": str, "key": str, "seq": int, "sent_at": (int, float),
                 "sessions": dict}


def build_part(open_record: list | None = None, state: list | None = None,
               event_rows: list | None = None, metrics: list | None = None,
               beat: float | None = None, lifecycle: list | None = None) -> dict:
    """One session's part of a batch, holding only what is there (``{}`` for nothing).

    ``state`` is ``[[ts, patch]]``, ``event_rows`` the event records in order (decoded
    ones, or ``msgspec.Raw`` bytes, which are packed verbatim), ``metrics`` the window's
    aggregates, ``beat`` the newest heartbeat's time, ``lifecycle`` records in order.
    """
    fields = {"open": open_record, "state": state, "event_rows": event_rows, "metrics": metrics,
              "beat": beat, "lifecycle": lifecycle}
    return {key: value for key, value in fields.items() if value}


def daemon_id_of(key: str) -> str:
    """The daemon id a daemon key proves: its SHA-256, 32 hex digits."""
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def new_daemon_identity() -> tuple[str, str]:
    """A fresh ``(daemon_id, key)``: the key stays with the daemon and its batches."""
    key = secrets.token_hex(16)
    return daemon_id_of(key), key


def build_batch(daemon_id: str, key: str, seq: int, host: str, sent_at: float, stats: dict,
                watching: list[str], sessions: dict[str, dict]) -> dict:
    """A daemon's batch: its identity and seq, counters, watched sessions and the parts."""
    return {"v": BATCH_VERSION, "daemon_id": daemon_id, "key": key, "seq": seq, "host": host,
            "sent_at": sent_at, "stats": stats, "watching": watching, "sessions": sessions}


_BATCH_ENCODER = msgspec.msgpack.Encoder()


def encode_batch(batch: dict) -> bytes:
    """Pack a daemon batch (see the module docstring for its shape).

    msgspec makes the same bytes as ``msgpack.packb(batch, use_bin_type=True)``, twice as
    fast; both refuse a type msgpack has none for (``TypeError``).
    """
    return _BATCH_ENCODER.encode(batch)


def decode_batch(data: bytes, limits: Limits = DEFAULT_LIMITS,
                 invalid: Counter | None = None) -> tuple[dict, dict[str, str]]:
    """Decode a batch and check its envelope; ``(batch, rejected)``.

    A session part that breaks a limit or has a key that is not a string is taken out of
    ``batch["sessions"]`` and named in ``rejected`` (session id -> reason): one bad part never
    costs the others. Each part's content is checked by ``apply``; a bad envelope raises.

    A version-2 part's ``event_rows`` are checked one by one as the daemon checks an event
    record (``row_event``) and become the part's ``events``, after any it had; a bad row is
    left out alone and counted in ``invalid`` by reason. A row the batch's decoder cannot
    read (text that is not UTF-8, an array as a map key) costs itself alone: the batch is
    then read piece by piece.
    """
    try:
        obj = unpack_limited(data, limits, limits.max_batch_bytes, keys="any")
    except ProtocolError as exc:
        obj = _by_pieces(data, limits, exc)
    if not isinstance(obj, dict):
        raise ProtocolError("malformed", "batch is not a map")
    for key, expected in _BATCH_HEADER.items():
        if not isinstance(obj.get(key), expected):
            raise ProtocolError("malformed", f"batch field {key!r} missing or of the wrong type")
    if type(obj["v"]) is not int or obj["v"] not in _VERSIONS:
        raise ProtocolError("bad_version", repr(obj["v"])[:20])
    if daemon_id_of(obj["key"]) != obj["daemon_id"]:
        raise ProtocolError("forged_daemon_id", "the batch's key does not prove its daemon_id")
    check_tree([value for key, value in obj.items() if key != "sessions"], limits)
    rejected: dict[str, str] = {}
    for sid, part in list(obj["sessions"].items()):
        try:
            if type(sid) is not str:
                raise ProtocolError("bad_key", "session ids must be strings")
            rows = part.pop("event_rows", None) if type(part) is dict and obj["v"] > 1 else None
            check_tree(part, limits)
            if rows is not None:
                _rows_into_events(part, rows, limits, invalid)
        except ProtocolError as exc:
            rejected[sid if type(sid) is str else repr(sid)[:64]] = exc.reason
            del obj["sessions"][sid]
    return obj, rejected


def _rows_into_events(part: dict, rows: Any, limits: Limits, invalid: Counter | None) -> None:
    if type(rows) is not list:
        raise ProtocolError("malformed", "event_rows is not an array")
    events = part.setdefault("events", [])
    if type(events) is not list:
        return  # apply rejects the part
    for row in rows:
        if isinstance(row, ProtocolError):  # a row that did not decode (read piece by piece)
            reason = row.reason
        else:
            try:
                events.append(row_event(row, limits))
                continue
            except ProtocolError as exc:
                reason = exc.reason
        if invalid is not None:
            invalid[reason] += 1
    if not events:
        del part["events"]


def _row_or_error(raw: msgspec.Raw, limits: Limits) -> list | ProtocolError:
    try:
        return row_record(raw, limits)
    except ProtocolError as exc:
        return exc


_RAW_MAP = msgspec.msgpack.Decoder(dict[str, msgspec.Raw])
_PARTS = msgspec.msgpack.Decoder(dict[str, dict[str, msgspec.Raw]])
_RAW_LIST = msgspec.msgpack.Decoder(list[msgspec.Raw])


def _by_pieces(data: bytes, limits: Limits, error: ProtocolError) -> dict:
    """A version-2 batch whose decoding failed, read field by field and row by row: a row
    that does not decode becomes its ``ProtocolError``; anything else that fails raises ``error``."""
    if error.reason in ("too_large", "bad_type"):
        raise error

    def piece(raw: msgspec.Raw) -> Any:
        return unpack_limited(memoryview(raw), limits, limits.max_batch_bytes, keys="any")

    try:
        fields = _RAW_MAP.decode(data)
        if piece(fields.get("v", msgspec.Raw(b"\xc0"))) not in _VERSIONS[1:]:
            raise error
        obj = {key: piece(raw) for key, raw in fields.items() if key != "sessions"}
        obj["sessions"] = sessions = {}
        for sid, part in _PARTS.decode(fields["sessions"]).items():
            sessions[sid] = {name: piece(raw) for name, raw in part.items()
                             if name != "event_rows"}
            if "event_rows" in part:
                sessions[sid]["event_rows"] = [_row_or_error(row, limits)
                                               for row in _RAW_LIST.decode(part["event_rows"])]
    except (msgspec.DecodeError, RecursionError, KeyError, ProtocolError):
        raise error from None
    return obj


def read_spooled(data: bytes) -> dict:
    """A batch this daemon packed, read for the spool's compaction: the envelope's values
    and rows kept as bytes (``msgspec.Raw``, packed again verbatim), the rest decoded."""
    fields = _RAW_MAP.decode(data)
    sessions = {}
    for sid, part in _PARTS.decode(fields.pop("sessions")).items():
        sessions[sid] = {name: _RAW_LIST.decode(raw) if name == "event_rows"
                         else msgpack.unpackb(raw, raw=False) for name, raw in part.items()}
    return dict(fields, sessions=sessions)


def peek_seq(data: bytes) -> tuple[int, str | None]:
    """Best effort: ``(seq, daemon_id)`` of a batch that failed validation (``-1``: unreadable)."""
    try:
        obj = msgpack.unpackb(data, raw=False, strict_map_key=False)
    except Exception:  # noqa: BLE001 - it is already known to be bad
        return -1, None
    if not isinstance(obj, dict):
        return -1, None
    seq, daemon_id = obj.get("seq"), obj.get("daemon_id")
    return (seq if isinstance(seq, int) else -1), (daemon_id if isinstance(daemon_id, str) else None)


def encode_ack(seq: int, status: str, reason: str = "", daemon_id: str | None = None,
               crc: int | None = None) -> bytes:
    """Pack the tier's answer to batch ``(daemon_id, seq)``.

    ``ok`` (applied), ``duplicate`` (applied before), ``rejected`` (invalid: will never apply)
    or ``error`` (the store failed: send it again later). A batch too broken to name its seq
    (``seq`` -1) is named by ``crc``, the CRC-32 of the bytes received.
    """
    ack = {"seq": seq, "daemon_id": daemon_id, "status": status, "reason": reason}
    if crc is not None:
        ack["crc"] = crc
    return msgpack.packb(ack)


def decode_ack(data: bytes) -> dict:
    """Unpack an ack; raises ``ProtocolError`` if it is not one."""
    obj = unpack_limited(data, DEFAULT_LIMITS, 4096)
    if not isinstance(obj, dict) or not isinstance(obj.get("seq"), int):
        raise ProtocolError("malformed", "not an ack")
    return obj
