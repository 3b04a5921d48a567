"""Store records → the original's typed shapes, for the unversioned ``/api/...`` reads.

Every field the original's client decodes gets the original's type: tags as sorted
``"key:value"`` strings, and a missing or unrenderable value as the nearest valid one
(``""``, ``0``, ``[]``, ``{}``); optional times are left out instead of ``null``.
"""

from __future__ import annotations

from .serialize import metric_out, session_out
from .timefmt import to_rfc3339

__all__ = ["compat_session", "compat_event", "compat_metric", "tag_strings"]

def _text(value) -> str:
    return "" if value is None else str(value)


def _object(value) -> dict:
    return value if isinstance(value, dict) else {}


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return value.splitlines()
    return [_text(item) for item in value] if isinstance(value, (list, tuple)) else []


def tag_strings(tags) -> list[str]:
    """``{"b": 2, "a": "x", "c": ""}`` → ``["a:x", "b:2", "c"]`` (a bare tag has no value)."""
    if isinstance(tags, dict):
        return [f"{key}:{value}" if (value := _text(tags[key])) else key for key in sorted(tags)]
    return _strings(tags)


def compat_session(session: dict, state: dict | None) -> dict:
    """A session record plus its state, typed as the original's ``Session``."""
    out = session_out(session)
    for field in ("ended_at", "last_heartbeat"):
        if out[field] is None:
            del out[field]
    out.update(machine_id=_text(out["machine_id"]), hostname=_text(out["hostname"]),
               state=_object(state))
    return out


def compat_event(event: dict) -> dict:
    """An event typed as the original's ``Event``, in one pass.

    ``category`` is the severity (our ``level``) and ``group`` our category; the exception
    map is also spread into the original's flat fields (``exception_type``,
    ``exception_msg``, ``stacktrace``, ``source_*``).
    """
    exception = event.get("exception")
    spread = exception if isinstance(exception, dict) else {}
    line, level = spread.get("line"), event.get("level")
    return {
        "seq": event.get("seq"), "timestamp": to_rfc3339(event.get("ts")),
        "received_at": to_rfc3339(event.get("recv")), "name": _text(event.get("name")),
        "level": level, "category": _text(level), "labels": _strings(event.get("labels") or []),
        "message": _text(event.get("message")), "data": _object(event.get("data")),
        "exception": exception, "group": _text(event.get("category")),
        "exception_type": _text(spread.get("type")),
        "exception_msg": _text(spread.get("message")),
        "stacktrace": _strings(spread.get("stacktrace")),
        "source_file": _text(spread.get("file")), "source_function": _text(spread.get("function")),
        "source_line": int(line) if isinstance(line, (int, float)) and line == line else 0,
    }


def compat_metric(point: dict) -> dict:
    """A metric point typed as the original's ``Metric`` (``value`` 0.0 with no samples)."""
    out = metric_out(point)
    value, count = out["value"], out["count"]
    out.update(name=_text(out["name"]), type=_text(out["type"]), unit=_text(out["unit"]),
               value=float(value) if isinstance(value, (int, float)) else 0.0,
               tags=tag_strings(point.get("tags")), metadata=_object(out.get("metadata")))
    if isinstance(count, (int, float)):
        out["count"] = int(count)
    else:
        del out["count"]
    return out
