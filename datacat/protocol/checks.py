"""Decoding with limits and checking what was decoded: trees, records, map keys as text."""

from __future__ import annotations

from typing import Any

import msgpack
import msgspec

from .records import DEFAULT_LIMITS, FIELD_TYPES, METRIC_TYPES, RECORD_FIELDS, Kind, Limits, ProtocolError

__all__ = ["REPR_CHARS", "check_tree", "check_record", "invalid_reason", "text_key",
           "unpack_limited", "well_typed"]

REPR_CHARS = 200  # a map key or an odd value sent as text: at most this long


def text_key(key: Any) -> str:
    """A map key as text: what JSON would make of it (a number's digits, a tuple's repr)."""
    if type(key) is str:
        return key
    if isinstance(key, bytes):
        return key.decode("utf-8", "replace")
    return repr(tuple(key) if isinstance(key, list) else key)[:REPR_CHARS]


def _text_keys(pairs: list) -> dict:
    return {text_key(key): value for key, value in pairs}


def unpack_limited(data: bytes, limits: Limits, max_bytes: int, keys: str = "strict") -> Any:
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

    Level by level, so a deep tree cannot exhaust the Python stack; a flat value costs one
    pass, and a scalar below costs one type lookup.
    """
    if (type(value) is dict or type(value) is list) and _is_flat(value):
        return
    level, depth = [value], 1
    while level:
        if depth > limits.max_depth:
            raise ProtocolError("too_deep", f"nesting deeper than {limits.max_depth}")
        below = []
        for node in level:
            if isinstance(node, dict):
                children, keyed = node.items(), True
            elif isinstance(node, list):
                children, keyed = enumerate(node), False
            else:
                continue
            for key, child in children:  # a value replaced in place: no map changes size
                if keyed and type(key) is not str:
                    raise ProtocolError("bad_key", "map keys must be strings")
                kind = type(child)
                if kind in _SCALARS:
                    continue
                if kind is msgpack.Timestamp:
                    node[key] = _timestamp_text(child)
                elif isinstance(child, (dict, list)):
                    below.append(child)
        level, depth = below, depth + 1


#: kind value -> (kind, record length, ((index, expected types), ...))
_SPECS = {int(kind): (kind, 3 + len(types), tuple(enumerate(types, start=3)))
          for kind, types in FIELD_TYPES.items()}


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


def well_typed(record: Any, limits: Limits) -> bool:
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


def invalid_reason(record: Any, limits: Limits) -> str | None:
    """``None`` if ``record`` passes ``check_record`` (the common ones checked in one pass by
    ``well_typed``), else the ``ProtocolError`` reason it fails with."""
    try:
        if not well_typed(record, limits):
            check_record(record, limits)
    except ProtocolError as exc:
        return exc.reason
    return None
