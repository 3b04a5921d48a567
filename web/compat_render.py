"""Store records → the original's typed shapes, for the unversioned ``/api/...`` reads.

Every field the original's client decodes gets the original's type: tags as sorted
``"key:value"`` strings, and a missing or unrenderable value as the nearest valid one
(``""``, ``0``, ``[]``, ``{}``); optional times are left out instead of ``null``.
"""

from __future__ import annotations

from .serialize import compat_event_out, metric_out, session_out

__all__ = ["compat_session", "compat_event", "compat_metric", "tag_strings"]

_EVENT_STRINGS = ("name", "category", "group", "message", "exception_type", "exception_msg",
                  "source_file", "source_function")


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
    """An event typed as the original's ``Event``."""
    out = compat_event_out(event)
    out.update({field: _text(out.get(field)) for field in _EVENT_STRINGS})
    line = out.get("source_line")
    out.update(labels=_strings(out.get("labels")), stacktrace=_strings(out.get("stacktrace")),
               data=_object(out.get("data")),
               source_line=int(line) if isinstance(line, (int, float)) and line == line else 0)
    return out


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
