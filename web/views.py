"""Reads that combine several parts of the store into one REST document.

A session's parts (record, state, stream pages) come from one ``Store.read_session``.
"""

from __future__ import annotations

from datacat.broker.store import Page, SessionQuery, Store
from datacat.broker.store.base import SessionRead
from datacat.merge import deep_merge

from .compat_render import compat_event, compat_metric, compat_session
from .errors import ApiError
from .params import bad_param
from .serialize import event_out, history_out, metric_out, session_out
from .timefmt import to_rfc3339

__all__ = ["read_session", "full_session", "session_with_state",
           "session_state", "compat_sessions_with_state", "state_history", "stream_page",
           "list_page", "TAIL"]

#: Most events, metric points and state-history entries ``GET /api/sessions/{id}`` returns.
TAIL = 1000
_COUNTS = {"events": "event_count", "metrics": "metric_count", "history": "history_count"}
#: How each stream's items look in ``/api/v1``: ``fmt(item, index)``.
_FORMAT = {"events": lambda item, _: event_out(item),
           "metrics": lambda item, _: metric_out(item),
           "history": history_out}


def read_session(store: Store, sid: str, **parts) -> SessionRead:
    """``store.read_session(sid, **parts)``, or a 404 ``ApiError`` for an unknown session."""
    found = store.read_session(sid, **parts)
    if found is None:
        raise ApiError(404, "not_found", f"no session {sid!r}")
    return found


def list_page(store: Store, query: SessionQuery) -> Page:
    """``store.list_sessions``, with a cursor the store rejects reported as a 400."""
    try:
        return store.list_sessions(query)
    except (ValueError, TypeError):
        if query.cursor is None:
            raise
        raise bad_param("cursor", "is not a cursor this server handed out") from None


def session_with_state(store: Store, sid: str) -> dict:
    """A session's REST shape plus its current ``state`` (``/api/v1/sessions/{id}``)."""
    found = read_session(store, sid, state=True)
    out = session_out(found.session)
    out["state"] = found.state
    return out


def session_state(store: Store, sid: str, at: float | None = None) -> dict:
    """The session's current state, or with ``at`` its state at that time; 404 if unknown."""
    if at is None:
        return read_session(store, sid, state=True).state
    read_session(store, sid)
    return store.state_at(sid, at)


def compat_sessions_with_state(store: Store, sessions: list[dict]) -> list[dict]:
    """Sessions with their current ``state`` in the original's types (unversioned routes),
    the states read together (``Store.get_states``)."""
    states = store.get_states([session["id"] for session in sessions])
    return [compat_session(session, state) for session, state in zip(sessions, states)]


def state_history(base: dict, entries: list[dict]) -> list[dict]:
    """``[{timestamp, state}]``: the full state after each history entry of ``entries``,
    replayed from ``base``, the state before the first of them (``SessionRead.base``)."""
    out = []
    for entry in entries:
        base = deep_merge(base, entry["patch"])
        out.append({"timestamp": to_rfc3339(entry["ts"]), "state": base})
    return out


def full_session(store: Store, sid: str) -> dict:
    """``GET /api/sessions/{id}``: the session with state, history, events and metrics,
    each stream its last ``TAIL`` items, all in one ``read_session``."""
    found = read_session(store, sid, streams=dict.fromkeys(_COUNTS, (-TAIL, TAIL)), state=True,
                         replay=True)
    first_event, events = found.streams["events"]
    first_metric, metrics = found.streams["metrics"]
    out = compat_session(found.session, found.state)
    out.update(
        state_history=state_history(found.base or {}, found.streams["history"][1]),
        events=[compat_event(event) for event in events], events_truncated=first_event > 0,
        metrics=[compat_metric(point) for point in metrics], metrics_truncated=first_metric > 0,
    )
    return out


def stream_page(store: Store, stream: str, sid: str, start: int, limit: int) -> dict:
    """``{"items", "next", "total"}`` for one page of a session's stream (oldest first).

    ``next`` is the ``start`` of the following page, or ``None`` after the last one.
    """
    found = read_session(store, sid, streams={stream: (start, limit)})
    total = found.session.get(_COUNTS[stream]) or 0
    fmt = _FORMAT[stream]
    items = [fmt(item, start + offset) for offset, item in enumerate(found.streams[stream][1])]
    end = start + len(items)
    return {"items": items, "next": end if end < total else None, "total": total}
