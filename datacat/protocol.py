"""Wire protocol: the only module that knows how frames and batches are laid out.

Client -> daemon *frame* (msgpack array)::

    [PROTOCOL_VERSION, client_id, frame_seq, dropped, [record, ...]]

A *record* is a flat array whose first three fields are ``kind, session_id, ts``
(client wall-clock seconds); the rest depends on the kind (see ``RECORD_FIELDS``).
The SDK appends these tuples as-is, so building a record costs one tuple.

Daemon -> tier *batch* (msgpack map)::

    {v, daemon_id, key, seq, host, sent_at, stats, watching, sessions: {sid: part}}

``key`` is the daemon's secret and ``daemon_id`` is derived from it (``daemon_id_of``), so
only the daemon that holds the key can send batches under its id: nobody who merely knows the
id can poison its deduplication. ``watching`` lists the sessions whose processes it watches.

where each session ``part`` holds ``open`` (an open record's fields as a map),
``state`` ([ts, patch] list), ``events`` (maps), ``metrics`` (aggregates) and
``lifecycle`` ([kind, ts, detail] list), applied in that order.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgpack
import msgspec

__all__ = [
    "PROTOCOL_VERSION", "Kind", "Limits", "METRIC_TYPES", "InvalidData", "ProtocolError",
    "RECORD_FIELDS", "LIFECYCLE_KINDS",
    "Frame", "FrameEncoder", "encode_frame", "decode_frame", "encode_batch", "decode_batch", "build_batch",
    "daemon_id_of", "new_daemon_identity", "frame_sender",
    "build_part", "field_positions", "OPEN_FIELD",
    "encode_ack", "decode_ack", "peek_seq", "record_as_dict", "check_tree",
]

PROTOCOL_VERSION = 1


class Kind(enum.IntEnum):
    """Record kinds.

    The SDK sends ``CRASH`` for an unhandled exception and ``STACKS`` from its watchdog;
    the daemon makes ``CRASH`` (process gone), ``HANG``/``RECOVER`` and ``SUSPEND``/``WAKE``;
    the tier makes ``LOST`` when a daemon goes silent.
    """

    OPEN = 1
    STATE = 2
    EVENT = 3
    METRIC = 4
    BEAT = 5
    PAUSE = 6
    RESUME = 7
    END = 8
    CRASH = 9
    HANG = 10
    RECOVER = 11
    STACKS = 12
    SUSPEND = 13
    WAKE = 14
    LOST = 15


#: Field names after ``kind, session_id, ts`` for each kind, in wire order.
RECORD_FIELDS: dict[Kind, tuple[str, ...]] = {
    Kind.OPEN: ("product", "version", "pid", "start_time", "hostname", "machine_id", "tags",
                "sdk", "hang_timeout", "parent_session_id", "fault_file"),
    Kind.STATE: ("patch",),
    Kind.EVENT: ("name", "level", "category", "labels", "message", "data", "exception"),
    Kind.METRIC: ("name", "value", "type", "unit", "tags", "buckets"),
    Kind.BEAT: (),
    Kind.PAUSE: (),
    Kind.RESUME: (),
    Kind.END: ("reason",),
    Kind.CRASH: ("reason", "detail"),
    Kind.HANG: ("detail",),
    Kind.RECOVER: ("detail",),
    Kind.STACKS: ("stacks",),
    Kind.SUSPEND: ("detail",),
    Kind.WAKE: ("detail",),
    Kind.LOST: ("detail",),
}

#: Kinds that change a session's lifecycle; they travel in a batch's ``lifecycle`` list.
LIFECYCLE_KINDS = frozenset({Kind.PAUSE, Kind.RESUME, Kind.END, Kind.CRASH, Kind.HANG,
                             Kind.RECOVER, Kind.SUSPEND, Kind.WAKE, Kind.LOST})

METRIC_TYPES = frozenset({"gauge", "counter", "histogram", "timer"})
_NUMBER = (int, float)
_OPT_STR = (str, type(None))
_OPT_MAP = (dict, type(None))
#: Expected types of each kind's fields (``None`` entry = any type).
_FIELD_TYPES: dict[Kind, tuple] = {
    Kind.OPEN: (str, str, int, _NUMBER, _OPT_STR, _OPT_STR, _OPT_MAP, _OPT_STR, _NUMBER + (type(None),),
                _OPT_STR, _OPT_STR),
    Kind.STATE: (dict,),
    Kind.EVENT: (str, str, _OPT_STR, (list, tuple), _OPT_STR, _OPT_MAP, _OPT_MAP),
    Kind.METRIC: (str, _NUMBER, str, _OPT_STR, _OPT_MAP, (list, tuple, type(None))),
    Kind.BEAT: (),
    Kind.PAUSE: (),
    Kind.RESUME: (),
    Kind.END: (str,),
    Kind.CRASH: (str, _OPT_MAP),
    Kind.HANG: (_OPT_MAP,),
    Kind.RECOVER: (_OPT_MAP,),
    Kind.STACKS: (dict,),
    Kind.SUSPEND: (_OPT_MAP,),
    Kind.WAKE: (_OPT_MAP,),
    Kind.LOST: (_OPT_MAP,),
}


class InvalidData(ValueError):
    """Input that is not valid DataCat data; ``reason`` is a short counter label."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class ProtocolError(InvalidData):
    """A frame, batch or record broke the wire protocol or its limits."""


@dataclass(frozen=True)
class Limits:
    """Bounds every decoder enforces; anything past them is rejected whole.

    Each bound has its own ``ProtocolError.reason``: ``too_large`` (frame/batch bytes),
    ``too_deep``, ``too_many_keys`` (per map), ``string_too_long`` (str or bin) and
    ``too_many_records``. Any array is bounded by ``max(max_keys, max_records)`` and
    reported under whichever of the two set that bound.
    """

    max_frame_bytes: int = 4 * 1024 * 1024
    max_batch_bytes: int = 64 * 1024 * 1024
    max_depth: int = 32
    max_keys: int = 10_000
    max_string: int = 64 * 1024
    max_records: int = 200_000


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Frame:
    """A decoded client frame."""

    client_id: str
    seq: int
    dropped: dict  # reason -> records the SDK could not send, running totals
    records: list
    invalid: dict = field(default_factory=dict)  # reason -> records dropped here (lenient decode)


REPR_CHARS = 200  # a map key or an odd value sent as text: at most this long


def _text_key(key: Any) -> str:
    """A map key as text: what JSON would make of it (a number's digits, a tuple's repr)."""
    if type(key) is str:
        return key
    if isinstance(key, bytes):
        return key.decode("utf-8", "replace")
    return repr(tuple(key) if isinstance(key, list) else key)[:REPR_CHARS]


def _text_keys(pairs: list) -> dict:
    return {_text_key(key): value for key, value in pairs}


def _unpack(data: bytes, limits: Limits, max_bytes: int, keys: str = "strict") -> Any:
    """Decode with limits; map keys must be strings (``strict``), may be anything hashable
    (``any``), or are turned into text (``text``: numbers, bytes, even arrays)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ProtocolError("bad_type", "payload is not bytes")
    if len(data) > max_bytes:
        raise ProtocolError("too_large", f"{len(data)} bytes > {max_bytes}")
    try:
        return msgpack.unpackb(
            data, raw=False, strict_map_key=keys == "strict", use_list=True,
            object_pairs_hook=_text_keys if keys == "text" else None, ext_hook=_ext_text,
            max_str_len=limits.max_string, max_bin_len=limits.max_string,
            max_array_len=max(limits.max_keys, limits.max_records), max_map_len=limits.max_keys,
        )
    except msgpack.ExtraData as exc:
        raise ProtocolError("malformed", "trailing bytes") from exc
    except (msgpack.StackError, RecursionError) as exc:
        raise ProtocolError("too_deep", "nesting deeper than the decoder's stack") from exc
    except ValueError as exc:  # msgpack reports its length limits and bad input as ValueError
        raise ProtocolError(_unpack_reason(str(exc), limits), str(exc) or type(exc).__name__) \
            from exc
    except Exception as exc:  # noqa: BLE001 - any decoder failure is a malformed frame
        raise ProtocolError("malformed", f"{type(exc).__name__}: {exc}") from exc


def _ext_text(code: int, data: bytes) -> str:
    """An extension type DataCat does not use, as text (the store takes no opaque objects)."""
    return f"<msgpack ext {code}: {len(data)} bytes>"


def _timestamp_text(value: msgpack.Timestamp) -> str:
    """A msgpack Timestamp as ISO 8601 text in UTC: what the SDK's encoder makes of a
    datetime with a time zone, turned back into something the store and JSON can hold."""
    return msgspec.to_builtins(value.to_datetime())  # "2026-01-02T03:04:05Z"


def _unpack_reason(message: str, limits: Limits) -> str:
    """Name the limit a msgpack ``ValueError`` stands for (its messages are all it gives)."""
    if "max_str_len" in message or "max_bin_len" in message:
        return "string_too_long"
    if "max_map_len" in message:
        return "too_many_keys"
    if "max_array_len" in message:
        return "too_many_records" if limits.max_records >= limits.max_keys else "too_many_keys"
    if "map key" in message:
        return "bad_key"
    if "incomplete input" in message:
        return "truncated"
    return "malformed"


#: Types a decoder makes that hold nothing below them.
_SCALARS = frozenset({str, int, float, bool, type(None), bytes})


def _is_flat(value: dict | list) -> bool:
    """True for a map with string keys and only scalars below, or a list of scalars."""
    if type(value) is dict:
        for key, child in value.items():
            if type(key) is not str:
                raise ProtocolError("bad_key", "map keys must be strings")
            if type(child) not in _SCALARS:
                return False
        return True
    for child in value:
        if type(child) not in _SCALARS:
            return False
    return True


def check_tree(value: Any, limits: Limits = DEFAULT_LIMITS) -> None:
    """Reject nesting deeper than ``limits.max_depth`` and map keys that are not strings;
    replace each msgpack Timestamp inside by its ISO 8601 text (``_timestamp_text``).

    Iterative, so a deep tree cannot exhaust the Python stack; a flat value costs one pass.
    """
    if (type(value) is dict or type(value) is list) and _is_flat(value):
        return
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limits.max_depth:
            raise ProtocolError("too_deep", f"nesting deeper than {limits.max_depth}")
        if isinstance(node, dict):
            if not all(type(key) is str for key in node):
                raise ProtocolError("bad_key", "map keys must be strings")
            children = node.items()
        elif isinstance(node, list):
            children = enumerate(node)
        else:
            continue
        for key, child in children:  # a value replaced in place: no map changes size
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
            elif type(child) is msgpack.Timestamp:
                node[key] = _timestamp_text(child)


#: kind value -> (kind, record length, ((index, expected types), ...))
_SPECS = {int(kind): (kind, 3 + len(types), tuple(enumerate(types, start=3)))
          for kind, types in _FIELD_TYPES.items()}


def check_record(record: Any, limits: Limits = DEFAULT_LIMITS) -> Kind:
    """Validate one record array in place and return its kind."""
    if type(record) is not list and type(record) is not tuple or len(record) < 3:
        raise ProtocolError("bad_record", "record is not an array of at least 3 fields")
    # type() first: True and 1.0 hash like 1 and must not pass for OPEN
    spec = _SPECS.get(record[0]) if type(record[0]) is int else None
    if spec is None:
        raise ProtocolError("unknown_kind", repr(record[0])[:40])
    kind, length, fields = spec
    if len(record) != length:
        raise ProtocolError("bad_record", f"{kind.name} needs {length} fields")
    sid, ts = record[1], record[2]
    if type(sid) is not str or not 0 < len(sid) <= 64:
        raise ProtocolError("bad_record", "session id must be a short string")
    if type(ts) is not float and (type(ts) is not int):
        raise ProtocolError("bad_record", "timestamp must be a number")
    for i, expected in fields:
        value = record[i]
        if not isinstance(value, expected):
            name = RECORD_FIELDS[kind][i - 3]
            raise ProtocolError("bad_field", f"{kind.name}.{name} has type {type(value).__name__}")
        if value and (type(value) is dict or type(value) is list):
            check_tree(value, limits)
    if kind is Kind.METRIC and record[5] not in METRIC_TYPES:
        raise ProtocolError("bad_field", f"unknown metric type {record[5]!r}")
    return kind


_STATE, _EVENT, _METRIC, _BEAT = Kind.STATE.value, Kind.EVENT.value, Kind.METRIC.value, \
    Kind.BEAT.value


def _check_map(value: dict, limits: Limits) -> None:
    """``check_tree`` for a map field, with the common flat map checked inline."""
    for key, child in value.items():
        if type(key) is not str or type(child) not in _SCALARS:
            check_tree(value, limits)
            return


def _well_typed(record: Any, limits: Limits) -> bool:
    """True if ``record`` is a STATE, EVENT, METRIC or BEAT record of exactly the types a
    decoder makes and ``check_record`` would pass it: the common records checked in one
    pass (their maps and arrays through ``check_tree``, which raises what it finds). False
    means "ask ``check_record``", which names what is wrong."""
    if type(record) is not list:
        return False
    n = len(record)
    if n < 3:
        return False
    kind, sid, ts = record[0], record[1], record[2]
    if (type(kind) is not int or type(sid) is not str or not 0 < len(sid) <= 64
            or (type(ts) is not float and type(ts) is not int)):
        return False
    if kind == _EVENT and n == 10:
        _, _, _, name, level, category, labels, message, data, exception = record
        if not (type(name) is str and type(level) is str
                and (category is None or type(category) is str) and type(labels) is list
                and (message is None or type(message) is str)
                and (data is None or type(data) is dict)
                and (exception is None or type(exception) is dict)):
            return False
        if labels:
            check_tree(labels, limits)
        if data:
            _check_map(data, limits)
        if exception:
            check_tree(exception, limits)
        return True
    if kind == _STATE and n == 4:
        if type(record[3]) is not dict:
            return False
        _check_map(record[3], limits)
        return True
    if kind == _METRIC and n == 9:
        _, _, _, name, value, mtype, unit, tags, buckets = record
        if not (type(name) is str and (type(value) is float or type(value) is int)
                and type(mtype) is str and mtype in METRIC_TYPES
                and (unit is None or type(unit) is str)
                and (tags is None or type(tags) is dict)
                and (buckets is None or type(buckets) is list)):
            return False
        for tree in (tags, buckets):
            if tree:
                check_tree(tree, limits)
        return True
    return kind == _BEAT and n == 3


def record_as_dict(record: list | tuple) -> dict:
    """Name a validated record's kind-specific fields (``ts`` included)."""
    kind = Kind(record[0])
    out = dict(zip(RECORD_FIELDS[kind], record[3:]))
    out["ts"] = record[2]
    return out


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


def _dropped_totals(dropped: Any) -> dict:
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
        obj = _unpack(data, limits, limits.max_frame_bytes)
    except ProtocolError as exc:
        if strict or exc.reason not in ("bad_key", "malformed"):
            raise
        obj = _unpack(data, limits, limits.max_frame_bytes, keys="text")
    if not isinstance(obj, list) or len(obj) != 5:
        raise ProtocolError("malformed", "frame is not a 5-element array")
    version, client_id, seq, dropped, records = obj
    if type(version) is not int or version != PROTOCOL_VERSION:  # True == 1, but is no version
        raise ProtocolError("bad_version", repr(version)[:20])
    if not isinstance(client_id, str) or type(seq) is not int:
        raise ProtocolError("malformed", "bad frame header")
    dropped = _dropped_totals(dropped)
    if not isinstance(records, list):
        raise ProtocolError("malformed", "records is not an array")
    if len(records) > limits.max_records:
        raise ProtocolError("too_many_records", f"{len(records)} > {limits.max_records}")
    if strict:
        for record in records:
            if not _well_typed(record, limits):
                check_record(record, limits)
        return Frame(client_id, seq, dropped, records)
    valid, invalid = [], {}
    for record in records:
        try:
            if not _well_typed(record, limits):
                check_record(record, limits)
        except ProtocolError as exc:
            invalid[exc.reason] = invalid.get(exc.reason, 0) + 1
            continue
        valid.append(record)
    return Frame(client_id, seq, dropped, valid, invalid)


_BATCH_HEADER = {"v": int, "daemon_id": str, "key": str, "seq": int, "sent_at": _NUMBER, "sessions": dict}


def field_positions(kind: Kind) -> dict[str, int]:
    """Where each named field of a ``kind`` record stands in the record array."""
    return {name: index for index, name in enumerate(RECORD_FIELDS[kind], start=3)}


OPEN_FIELD = field_positions(Kind.OPEN)


def build_part(open_record: list | None = None, state: list | None = None,
               events: list | None = None, metrics: list | None = None,
               beat: float | None = None, lifecycle: list | None = None) -> dict:
    """One session's part of a batch, holding only what is there (``{}`` for nothing).

    ``state`` is ``[[ts, patch]]``, ``metrics`` the window's aggregates, ``beat`` the
    newest heartbeat's time, ``lifecycle`` records in order.
    """
    fields = {"open": open_record, "state": state, "events": events, "metrics": metrics,
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
    return {"v": PROTOCOL_VERSION, "daemon_id": daemon_id, "key": key, "seq": seq, "host": host,
            "sent_at": sent_at, "stats": stats, "watching": watching, "sessions": sessions}


_BATCH_ENCODER = msgspec.msgpack.Encoder()


def encode_batch(batch: dict) -> bytes:
    """Pack a daemon batch (see the module docstring for its shape).

    msgspec makes the same bytes as ``msgpack.packb(batch, use_bin_type=True)``, twice as
    fast; both refuse a type msgpack has none for (``TypeError``).
    """
    return _BATCH_ENCODER.encode(batch)


def decode_batch(data: bytes, limits: Limits = DEFAULT_LIMITS) -> tuple[dict, dict[str, str]]:
    """Decode a batch and check its envelope; ``(batch, rejected)``.

    A session part that breaks a limit or has a key that is not a string is taken out of
    ``batch["sessions"]`` and named in ``rejected`` (session id -> reason): one bad part never
    costs the others. Each part's content is checked by ``apply``; a bad envelope raises.
    """
    obj = _unpack(data, limits, limits.max_batch_bytes, keys="any")
    if not isinstance(obj, dict):
        raise ProtocolError("malformed", "batch is not a map")
    for key, expected in _BATCH_HEADER.items():
        if not isinstance(obj.get(key), expected):
            raise ProtocolError("malformed", f"batch field {key!r} missing or of the wrong type")
    if type(obj["v"]) is not int or obj["v"] != PROTOCOL_VERSION:
        raise ProtocolError("bad_version", repr(obj["v"])[:20])
    if daemon_id_of(obj["key"]) != obj["daemon_id"]:
        raise ProtocolError("forged_daemon_id", "the batch's key does not prove its daemon_id")
    check_tree([value for key, value in obj.items() if key != "sessions"], limits)
    rejected: dict[str, str] = {}
    for sid, part in list(obj["sessions"].items()):
        try:
            if type(sid) is not str:
                raise ProtocolError("bad_key", "session ids must be strings")
            check_tree(part, limits)
        except ProtocolError as exc:
            rejected[sid if type(sid) is str else repr(sid)[:64]] = exc.reason
            del obj["sessions"][sid]
    return obj, rejected


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
    obj = _unpack(data, DEFAULT_LIMITS, 4096)
    if not isinstance(obj, dict) or not isinstance(obj.get("seq"), int):
        raise ProtocolError("malformed", "not an ack")
    return obj
