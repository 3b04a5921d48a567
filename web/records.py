"""Stored records coerced to the types every reader expects (pure, cheap when well typed).

Writes are validated (``broker.validate``), but a store may still hold what an older or
another writer put there. Each ``*_record`` function returns its argument unchanged when
every field the web reads has its type, else a copy with each odd field replaced by the
nearest valid value: a number kept as is, text for a scalar, ``None``, ``{}`` or ``[]``
otherwise. So no stored value can make a read fail.
"""

from __future__ import annotations

import operator

from datacat.protocol import METRIC_TYPES

__all__ = ["session_record", "event_record", "metric_record", "history_record", "state_doc",
           "rollup_record", "issue_record", "UNREADABLE"]

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
    """``record`` if every field passes its rule, else a copy with the fields fixed.

    ``rules`` maps a field to ``(types, rule)``: a value of one of ``types`` (exactly, so
    ``bool`` is no ``int``) is good as it is; any other goes through ``rule``.
    """
    if not isinstance(record, dict):
        record = dict(base)
    fixed = None
    for field, (types, rule) in rules.items():
        value = record.get(field)
        if type(value) in types:
            continue
        good = rule(value)
        if good is not value and (good != value or type(good) is not type(value)):
            fixed = fixed if fixed is not None else dict(record)
            fixed[field] = good
    return record if fixed is None else fixed


_NONE = type(None)
_TEXT, _OPT_TEXT = frozenset({str}), frozenset({str, _NONE})
_NUMBER, _OPT_NUMBER = frozenset({int, float}), frozenset({int, float, _NONE})
_INT, _OPT_INT = frozenset({int}), frozenset({int, _NONE})
_OPT_MAP, _CHECK = frozenset({dict, _NONE}), frozenset()  # _CHECK: always ask the rule


def _episodes(value) -> list:
    return [dict(e, start=_num(e.get("start")), end=_num(e.get("end")))
            for e in value if isinstance(e, dict)] if isinstance(value, list) else []


def _good_tags(value):
    if value is None or isinstance(value, dict) and all(
            isinstance(k, str) and isinstance(i, str) for k, i in value.items()):
        return value
    return _tags(value)


def _good_strings(value):
    if value is None or isinstance(value, list) and all(isinstance(i, str) for i in value):
        return value
    return _strings(value)


def _good_episodes(value):
    return value if value is None or value == [] else _episodes(value)


_OPT_STR = (_OPT_TEXT, _str)
_OPT_NUM = (_OPT_NUMBER, _num)
_COUNT = (_INT, _int)
_SESSION = {
    "id": (_TEXT, lambda v: _str(v, "")), "product": (_TEXT, lambda v: _str(v, "unknown")),
    "version": (_TEXT, lambda v: _str(v, "unknown")),
    "status": (_CHECK, lambda v: v if v in _STATUSES else "active"), "reason": _OPT_STR,
    "created_at": (_NUMBER, lambda v: _num(v, 0.0)),
    "updated_at": (_NUMBER, lambda v: _num(v, 0.0)),
    "ended_at": _OPT_NUM, "last_heartbeat": _OPT_NUM, "received_at": _OPT_NUM,
    "hang_timeout": _OPT_NUM, "machine_id": _OPT_STR, "hostname": _OPT_STR,
    "parent_session_id": _OPT_STR, "daemon_id": _OPT_STR,
    "pid": (_OPT_INT, lambda v: _int(v, None)), "tags": (_CHECK, _good_tags),
    "event_count": _COUNT, "metric_count": _COUNT, "history_count": _COUNT,
    "hang_count": _COUNT, "suspend_count": _COUNT,
    "hangs": (_CHECK, _good_episodes), "suspends": (_CHECK, _good_episodes),
}

_EXCEPTION = {"type": _OPT_STR, "message": _OPT_STR, "file": _OPT_STR, "function": _OPT_STR,
              "line": (_OPT_INT, lambda v: _int(v, None)),
              "stacktrace": (_OPT_TEXT, _good_strings)}


def _exception(value):
    return None if not isinstance(value, dict) else _fix(value, _EXCEPTION, {})


_EVENT = {
    "seq": (_OPT_INT, lambda v: _int(v, None)), "ts": (_NUMBER, lambda v: _num(v, 0.0)),
    "recv": _OPT_NUM, "name": (_TEXT, lambda v: _str(v, UNREADABLE)), "level": _OPT_STR,
    "category": _OPT_STR, "message": _OPT_STR, "labels": (_CHECK, _good_strings),
    "data": (_OPT_MAP, _map), "exception": (frozenset({_NONE}), _exception),
}


def _buckets(value):
    if not isinstance(value, list):
        return None
    return [[pair[0], pair[1]] for pair in value if isinstance(pair, (list, tuple))
            and len(pair) == 2 and (_num(pair[0]) is not None or pair[0] == "+Inf")
            and _num(pair[1]) is not None]


_METRIC = {
    "ts": (_NUMBER, lambda v: _num(v, 0.0)), "name": (_TEXT, lambda v: _str(v, UNREADABLE)),
    "type": (_CHECK, lambda v: v if v in METRIC_TYPES else "gauge"), "unit": _OPT_STR,
    "tags": (_CHECK, _good_tags), "count": _COUNT, "sum": _OPT_NUM, "min": _OPT_NUM,
    "max": _OPT_NUM, "last": _OPT_NUM,
    "buckets": (frozenset({_NONE}), _buckets), "metadata": (_OPT_MAP, _map),
}

_HISTORY = {"ts": (_NUMBER, lambda v: _num(v, 0.0)),
            "patch": (frozenset({dict}), lambda v: _map(v, {}))}


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
    """A product rollup ``{product, version, total, by_status: {status: n}, hung_sessions,
    machines, crashed_machines, hung_machines, hang_episodes, first_seen, median_duration}``."""
    return _fix(item, _ROLLUP, {})


_ROLLUP = {"product": (_TEXT, lambda v: _str(v, "unknown")),
           "version": (_TEXT, lambda v: _str(v, "unknown")), "total": _COUNT,
           "hung_sessions": _COUNT, "machines": _COUNT, "crashed_machines": _COUNT,
           "hung_machines": _COUNT, "hang_episodes": _COUNT, "first_seen": _OPT_NUM,
           "median_duration": _OPT_NUM,
           "by_status": (_CHECK, lambda v: {str(k): _int(n) for k, n in v.items()}
                         if isinstance(v, dict) else {})}


def _rows(value, rules: dict) -> list:
    """``value``'s map rows fixed by ``rules``; ``value`` itself when every row was good."""
    if not isinstance(value, list):
        return []
    rows = [_fix(row, rules, {}) for row in value if isinstance(row, dict)]
    return value if len(rows) == len(value) and all(map(operator.is_, rows, value)) else rows


def _samples(value) -> list:
    """``[[session id, seq], ...]``; ``value`` itself when every sample is one."""
    if not isinstance(value, list):
        return []
    if all(type(s) is list and len(s) == 2 and type(s[0]) is str and type(s[1]) is int
           for s in value):
        return value
    return [[_str(s[0], ""), _int(s[1])] for s in value if isinstance(s, (list, tuple))
            and len(s) == 2]


_ROW = {"count": _COUNT, "sessions": _COUNT, "machines": _COUNT, "first_seen": _OPT_NUM,
        "last_seen": _OPT_NUM}
_ISSUE = {"fingerprint": (_TEXT, lambda v: _str(v, "")), "type": (_TEXT, lambda v: _str(v, "")),
          "message": (_TEXT, lambda v: _str(v, "")), **_ROW,
          "products": (_CHECK, lambda v: _rows(v, {"product": _ROLLUP["product"], **_ROW})),
          "versions": (_CHECK, lambda v: _rows(v, {"product": _ROLLUP["product"],
                                                   "version": _ROLLUP["version"], **_ROW})),
          "samples": (_CHECK, _samples)}


def issue_record(item):
    """An issue (``Store.issue``): figures, per product and version rows, samples."""
    return _fix(item, _ISSUE, {})
