"""Checks a batch's session parts before anything is written."""

from __future__ import annotations

import re

from datacat.protocol import LIFECYCLE_KINDS, METRIC_TYPES, ProtocolError, check_tree

from .errors import InvalidBatch

__all__ = ["validate_part", "check_label"]

_NUMBER = (int, float)
_CONTROL = re.compile("[\x00-\x1f]")
_LISTS = ("state", "events", "metrics", "lifecycle")


def check_label(name: str, value: object, max_len: int = 256) -> None:
    """Names and ids: non-empty strings without control characters."""
    if not isinstance(value, str) or not 0 < len(value) <= max_len:
        raise InvalidBatch("bad_field", f"{name} must be a string of 1..{max_len} characters")
    if _CONTROL.search(value):
        raise InvalidBatch("bad_field", f"{name} must not contain control characters")


def _ts(name: str, value: object) -> None:
    if not isinstance(value, _NUMBER) or isinstance(value, bool):
        raise InvalidBatch("bad_field", f"{name} must be a timestamp in seconds")


_STR, _OPT_STR, _MAP, _LIST = (str,), (str, type(None)), (dict, type(None)), (list, type(None))
_OPT_NUM, _OPT_INT = (int, float, type(None)), (int, type(None))
_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", dict: "a map",
               list: "a list", type(None): "absent"}
class _Fields:
    """Fields readers rely on in one kind of record, with the types each may have; every
    field may be absent (``None``)."""

    def __init__(self, what: str, **types: tuple):
        if not all(type(None) in allowed for allowed in types.values()):
            raise ValueError(f"{what}: every field must be allowed to be absent")
        self._what, self._types = what, types
        #: the exact types (``bool`` only where named): one lookup a field passes a record
        self._exact = {name: frozenset(allowed) for name, allowed in types.items()}

    def check(self, record: dict) -> None:
        """``bad_field`` naming the first field of ``record`` whose type is not allowed."""
        exact = self._exact
        for name, value in record.items():
            allowed = exact.get(name)
            if allowed is not None and type(value) not in allowed:
                break
        else:
            return
        for name, allowed in self._types.items():
            value = record.get(name)
            if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):
                kinds = " or ".join(_TYPE_NAMES[kind] for kind in allowed)
                raise InvalidBatch("bad_field", f"{self._what} {name} must be {kinds}")


_OPEN = _Fields("open", machine_id=_OPT_STR, hostname=_OPT_STR, parent_session_id=_OPT_STR,
                sdk=_OPT_STR, pid=_OPT_INT, start_time=_OPT_NUM, hang_timeout=_OPT_NUM,
                tags=_MAP)
_EVENT = _Fields("event", level=_OPT_STR, category=_OPT_STR, message=_OPT_STR, labels=_LIST,
                 data=_MAP, exception=_MAP)
_EXCEPTION = _Fields("event exception", type=_OPT_STR, message=_OPT_STR, file=_OPT_STR,
                     function=_OPT_STR, line=_OPT_INT, stacktrace=(list, str, type(None)))
_METRIC = _Fields("metric", unit=_OPT_STR, tags=_MAP, count=_OPT_INT, sum=_OPT_NUM,
                  min=_OPT_NUM, max=_OPT_NUM, last=_OPT_NUM, buckets=_LIST, metadata=_MAP)


def validate_part(sid: object, part: object) -> None:
    """Raise ``InvalidBatch`` unless ``part`` is a well-typed session part.

    Every field a reader uses must have its type (``bad_field`` names the first that
    does not); what lists and maps hold (labels, tag values, data) is the readers' to render.

    The wire decoder and the REST JSON parser bound nesting before this; state patches are
    checked again because the merge recurses into them (no recursion bomb reaches it).
    """
    check_label("session id", sid, 64)
    if not isinstance(part, dict):
        raise InvalidBatch("malformed", "session part must be a map")
    for name in _LISTS:
        if not isinstance(part.get(name, []), list):
            raise InvalidBatch("malformed", f"session part field {name!r} must be a list")
    opened = part.get("open")
    if opened is not None:
        if not isinstance(opened, dict):
            raise InvalidBatch("bad_field", "open must be a map")
        check_label("product", opened.get("product"))
        check_label("version", opened.get("version"))
        if opened.get("ts") is not None:
            _ts("open ts", opened["ts"])
        _OPEN.check(opened)
    for entry in part.get("state", ()):
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], dict)):
            raise InvalidBatch("bad_field", "state entries are [ts, patch-map]")
        try:
            check_tree(entry[1])
        except ProtocolError as exc:
            raise InvalidBatch(exc.reason, exc.detail) from None
        _ts("state ts", entry[0])
    for event in part.get("events", ()):
        if not isinstance(event, dict):
            raise InvalidBatch("bad_field", "events must be maps")
        check_label("event name", event.get("name"))
        _ts("event ts", event.get("ts"))
        _EVENT.check(event)
        if event.get("exception") is not None:
            _EXCEPTION.check(event["exception"])
    for point in part.get("metrics", ()):
        if not isinstance(point, dict) or point.get("type") not in METRIC_TYPES:
            raise InvalidBatch("bad_field", "metric points need a known type")
        check_label("metric name", point.get("name"))
        _ts("metric ts", point.get("ts"))
        _METRIC.check(point)
        if point.get("count") is not None and point["count"] < 0:
            raise InvalidBatch("bad_field", "metric count must not be negative")
    if part.get("beat") is not None:
        _ts("beat", part["beat"])
    for record in part.get("lifecycle", ()):
        if not (isinstance(record, list) and len(record) == 3):
            raise InvalidBatch("bad_field", "lifecycle entries are [kind, ts, detail]")
        if record[0] not in LIFECYCLE_KINDS:
            raise InvalidBatch("bad_field", f"{record[0]!r} is not a lifecycle kind")
        _ts("lifecycle ts", record[1])
        if record[2] is not None and not isinstance(record[2], dict):
            raise InvalidBatch("bad_field", "lifecycle detail must be a map")
