"""Stored records coerced to the types every reader expects (pure, cheap when well typed).

Writes are validated (``broker.validate``), but a store may still hold what an older or
another writer put there. Each ``*_record`` function returns its argument unchanged when
every field the web reads has its type, else a copy with each odd field replaced by the
nearest valid value: a number kept as is, text for a scalar, ``None``, ``{}`` or ``[]``
otherwise. So no stored value can make a read fail.
"""

from __future__ import annotations

from datacat.protocol import METRIC_TYPES

__all__ = ["session_record", "event_record", "metric_record", "history_record", "state_doc",
           "rollup_record", "UNREADABLE"]

#: The name an item that is not a map at all is shown under.
UNREADABLE = "(unreadable)"
_STATUSES = ("active", "ended", "crashed", "hung", "suspended", "lost")


def _num(value, default=None):
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def _int(value, default=0):
    number = _num(value)
    return int(number) if number is not None and number == number and abs(number) < 2**63 else default


def _str(value, default=None):
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, (dict, list, tuple)):
        return default
    return str(value)


def _map(value, default=None):
    return value if isinstance(value, dict) else default


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [item if isinstance(item, str) else str(item) for item in value]
    return []


def _tags(value) -> dict:
    """``{str: str}``; a list of ``"key:value"`` strings is read as the original sent it."""
    if isinstance(value, (list, tuple)):
        pairs = (str(item).split(":", 1) for item in value)
        return {pair[0]: pair[1] if len(pair) > 1 else "" for pair in pairs}
    if not isinstance(value, dict):
        return {}
    return {str(key): "" if item is None else str(item) for key, item in value.items()}


def _fix(record, rules: dict, base: dict) -> dict:
    """``record`` if every field passes its rule, else a copy with the fields fixed."""
    if not isinstance(record, dict):
        record = dict(base)
    fixed = None
    for field, rule in rules.items():
        value = record.get(field)
        good = rule(value)
        if good is not value and (good != value or type(good) is not type(value)):
            fixed = fixed if fixed is not None else dict(record)
            fixed[field] = good
    return record if fixed is None else fixed


def _times(*fields):
    return dict.fromkeys(fields, _num)


def _episodes(value) -> list:
    return [dict(e, start=_num(e.get("start")), end=_num(e.get("end")))
            for e in value if isinstance(e, dict)] if isinstance(value, list) else []


_SESSION = {
    "id": lambda v: _str(v, ""), "product": lambda v: _str(v, "unknown"),
    "version": lambda v: _str(v, "unknown"),
    "status": lambda v: v if v in _STATUSES else "active", "reason": _str,
    "created_at": lambda v: _num(v, 0.0), "updated_at": lambda v: _num(v, 0.0),
    **_times("ended_at", "last_heartbeat", "received_at", "hang_timeout"),
    "machine_id": _str, "hostname": _str, "parent_session_id": _str, "daemon_id": _str,
    "pid": lambda v: _int(v, None),
    "tags": lambda v: v if v is None or isinstance(v, dict) and all(
        isinstance(k, str) and isinstance(i, str) for k, i in v.items()) else _tags(v),
    "event_count": _int, "metric_count": _int, "history_count": _int,
    "hang_count": _int, "suspend_count": _int,
    "hangs": lambda v: v if v is None or v == [] else _episodes(v),
    "suspends": lambda v: v if v is None or v == [] else _episodes(v),
}

_EXCEPTION = {"type": _str, "message": _str, "file": _str, "function": _str,
              "line": lambda v: _int(v, None),
              "stacktrace": lambda v: v if isinstance(v, str) or v is None else _strings(v)}


def _exception(value):
    return None if not isinstance(value, dict) else _fix(value, _EXCEPTION, {})


_EVENT = {
    "seq": lambda v: _int(v, None), "ts": lambda v: _num(v, 0.0), "recv": _num,
    "name": lambda v: _str(v, UNREADABLE), "level": _str, "category": _str, "message": _str,
    "labels": lambda v: v if v is None or v == [] else _strings(v), "data": _map,
    "exception": _exception,
}


def _buckets(value):
    if not isinstance(value, list):
        return None
    return [[pair[0], pair[1]] for pair in value if isinstance(pair, (list, tuple))
            and len(pair) == 2 and (_num(pair[0]) is not None or pair[0] == "+Inf")
            and _num(pair[1]) is not None]


_METRIC = {
    "ts": lambda v: _num(v, 0.0), "name": lambda v: _str(v, UNREADABLE),
    "type": lambda v: v if v in METRIC_TYPES else "gauge", "unit": _str,
    "tags": _SESSION["tags"], "count": _int, **_times("sum", "min", "max", "last"),
    "buckets": lambda v: v if v is None else _buckets(v), "metadata": _map,
}

_HISTORY = {"ts": lambda v: _num(v, 0.0), "patch": lambda v: _map(v, {})}


def session_record(record):
    """A session record with every field typed (see ``broker.store.base``)."""
    return _fix(record, _SESSION, {"id": ""})


def event_record(item):
    """An event; an item that is not a map becomes an event named ``UNREADABLE``."""
    return _fix(item, _EVENT, {"name": UNREADABLE})


def metric_record(item):
    """A metric point (aggregate); not a map: an empty gauge named ``UNREADABLE``."""
    return _fix(item, _METRIC, {"name": UNREADABLE})


def history_record(item):
    """A state-history entry ``{ts, patch}``; the patch is a map."""
    return _fix(item, _HISTORY, {})


def state_doc(value) -> dict:
    """A state document: a map, else ``{}``."""
    return value if isinstance(value, dict) else {}


def rollup_record(item):
    """A product rollup ``{product, version, total, by_status: {status: n}}``."""
    return _fix(item, {"product": lambda v: _str(v, "unknown"),
                       "version": lambda v: _str(v, "unknown"), "total": _int,
                       "by_status": lambda v: {str(k): _int(n) for k, n in v.items()}
                       if isinstance(v, dict) else {}}, {})
