"""The original's REST write bodies → parts of an ``apply`` batch (pure functions).

Each builder checks its body and raises ``ApiError``: 400 ``missing_field`` when a
required field is absent, 422 ``invalid`` when a field has the wrong type or value.
"""

from __future__ import annotations

import math

from datacat.protocol import METRIC_TYPES, Kind, ProtocolError, check_tree

from .errors import ApiError
from .timefmt import parse_time

__all__ = ["EXCEPTION_FIELDS", "check_numbers", "open_part", "state_entry", "event_record", "metric_point",
           "end_record", "crash_record", "normalize_tags"]

#: The original's flat exception fields → keys of our event's ``exception`` map.
EXCEPTION_FIELDS = {"exception_type": "type", "exception_msg": "message",
                    "stacktrace": "stacktrace", "source_file": "file",
                    "source_line": "line", "source_function": "function"}

_STR = (str,)
_NUM = (int, float)
_NAMES = {str: "a string", int: "an integer", float: "a number", dict: "an object",
          list: "an array"}


def _invalid(field: str, why: str) -> ApiError:
    return ApiError(422, "invalid", f"{field} {why}")


def _require(body: dict, field: str):
    if body.get(field) in (None, ""):
        raise ApiError(400, "missing_field", f"{field} is required")
    return body[field]


def _typed(body: dict, field: str, types: tuple, default=None):
    """``body[field]`` if it has one of ``types``; ``default`` when absent or null."""
    value = body.get(field)
    if value is None:
        return default
    if not isinstance(value, types) or isinstance(value, bool):
        raise _invalid(field, "must be " + " or ".join(_NAMES[t] for t in types))
    return value


def _timestamp(body: dict, now: float) -> float:
    value = body.get("timestamp")
    if value is None:
        return now
    try:
        return parse_time(value)
    except ValueError as exc:
        raise _invalid("timestamp", f"is not an RFC 3339 time: {exc}") from None


def _tree(field: str, value):
    try:
        check_tree(value)
    except ProtocolError as exc:
        raise _invalid(field, exc.detail) from None
    return value


def _strings(body: dict, field: str) -> list | None:
    value = _typed(body, field, (list,))
    if value is not None and not all(isinstance(item, str) for item in value):
        raise _invalid(field, "must be an array of strings")
    return value


#: Integers the store's encoding (msgpack) holds.
_INT_RANGE = (-(2**63), 2**64 - 1)


def check_numbers(part: dict) -> None:
    """422 naming the first number anywhere in ``part`` that the store cannot hold.

    JSON integers are unbounded and ``1e400`` parses as infinity; the store's encoding
    holds 64-bit integers and finite floats only, so such a value must be refused here
    rather than fail the write or be read back as ``null``. Named by its path in the
    stored record.
    """
    stack = [("", part)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            children = [(f"{path}.{key}" if path else str(key), value) for key, value in node.items()]
        elif isinstance(node, (list, tuple)):
            children = [(f"{path}[{i}]", value) for i, value in enumerate(node)]
        else:
            if isinstance(node, int) and not _INT_RANGE[0] <= node <= _INT_RANGE[1]:
                raise _invalid(path.split(".", 1)[-1], "holds an integer outside the 64-bit range")
            if isinstance(node, float) and not math.isfinite(node):
                raise _invalid(path.split(".", 1)[-1], "holds a number too large for a float")
            continue
        stack.extend(reversed(children))  # depth first, in document order


def normalize_tags(value, field: str = "tags") -> dict:
    """Tags as one normal form ``{key: str}``: from ``["k:v", ...]`` or an object."""
    if value is None:
        return {}
    if isinstance(value, list):
        if not all(isinstance(item, str) for item in value):
            raise _invalid(field, 'must be an object or an array of "key:value" strings')
        return dict((*item.split(":", 1), "")[:2] for item in value)
    if isinstance(value, dict):
        tags = {}
        for key, item in value.items():
            if not isinstance(item, (str, int, float, bool)):
                raise _invalid(field, f"value of {key!r} must be a string or number")
            tags[key] = str(item).lower() if isinstance(item, bool) else str(item)
        return tags
    raise _invalid(field, 'must be an object or an array of "key:value" strings')


def open_part(body: dict, now: float) -> dict:
    """``POST /api/sessions`` body → the batch part's ``open`` map."""
    opened = {"product": _require(body, "product"), "version": _require(body, "version"), "ts": now}
    for field in ("product", "version", "machine_id", "hostname", "parent_session_id"):
        opened[field] = _typed(body, field, _STR, opened.get(field))
    opened["pid"] = _typed(body, "pid", (int,))
    opened["hang_timeout"] = _typed(body, "hang_timeout", _NUM)
    opened["tags"] = normalize_tags(body.get("tags")) or None
    return opened


def state_entry(body: dict, now: float) -> list:
    """A bare state object, or ``{"state": {...}, "timestamp"?}`` → ``[ts, patch]``."""
    if isinstance(body.get("state"), dict) and set(body) <= {"state", "timestamp"}:
        return [_timestamp(body, now), _tree("state", body["state"])]
    return [now, _tree("state", body)]


def event_record(body: dict, now: float) -> dict:
    """``POST …/events`` body → an event record (``category``/``level`` → our ``level``)."""
    _require(body, "name")
    exception = {key: body[field] for field, key in EXCEPTION_FIELDS.items()
                 if body.get(field) is not None}
    for field in ("exception_type", "exception_msg", "source_file", "source_function"):
        _typed(body, field, _STR)
    _typed(body, "source_line", (int,))
    _strings(body, "stacktrace")
    default = "error" if exception.get("type") else "info"
    level = _typed(body, "level", _STR) or _typed(body, "category", _STR) or default
    return {
        "ts": _timestamp(body, now),
        "name": _typed(body, "name", _STR),
        "level": level,
        "category": _typed(body, "group", _STR),
        "labels": _strings(body, "labels") or [],
        "message": _typed(body, "message", _STR),
        "data": _tree("data", _typed(body, "data", (dict,))),
        "exception": exception or None,
    }


def metric_point(body: dict, now: float) -> dict:
    """``POST …/metrics`` body → one aggregate point holding ``count`` samples of ``value``."""
    _require(body, "name")
    value = _typed(body, "value", _NUM)
    if value is None or not math.isfinite(value):
        raise (ApiError(400, "missing_field", "value is required") if value is None
               else _invalid("value", "must be a finite number"))
    kind = _typed(body, "type", _STR, "gauge")
    if kind not in METRIC_TYPES:
        raise _invalid("type", f"must be one of {', '.join(sorted(METRIC_TYPES))}")
    count = _typed(body, "count", (int,), 1)
    if count < 1:
        raise _invalid("count", "must be at least 1")
    point = {"ts": _timestamp(body, now), "name": _typed(body, "name", _STR), "type": kind,
             "unit": _typed(body, "unit", _STR), "tags": normalize_tags(body.get("tags")),
             "count": count, "sum": value * count, "min": value, "max": value, "last": value,
             "buckets": None}
    metadata = _tree("metadata", _typed(body, "metadata", (dict,)))
    if metadata:
        point["metadata"] = metadata
    return point


def end_record(now: float) -> list:
    """The lifecycle record of ``POST …/end``."""
    return [int(Kind.END), now, {"reason": "end"}]


def crash_record(body: dict, now: float) -> list:
    """The lifecycle record of ``POST …/crash`` ``{reason?}``."""
    reason = _typed(body, "reason", _STR) or "abnormal_termination"
    return [int(Kind.CRASH), now, {"reason": reason}]
