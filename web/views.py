"""Reads that combine several store calls into one REST document."""

from __future__ import annotations

from datacat.broker.store import Page, SessionQuery, Store
from datacat.merge import deep_merge

from .compat_render import compat_event, compat_metric, compat_session
from .errors import ApiError
from .params import bad_param
from .serialize import event_out, history_out, metric_out, session_out
from .timefmt import to_rfc3339

__all__ = ["require_session", "full_session", "session_with_state", "compat_session_with_state",
           "state_history",
           "stream_page", "list_page", "TAIL"]

#: Most events, metric points and state-history entries ``GET /api/sessions/{id}`` returns.
TAIL = 1000
_COUNTS = {"events": "event_count", "metrics": "metric_count", "history": "history_count"}
#: How each stream's items look in ``/api/v1``: ``fmt(item, index)``.
_FORMAT = {"events": lambda item, _: event_out(item),
           "metrics": lambda item, _: metric_out(item),
           "history": history_out}


def require_session(store: Store, sid: str) -> dict:
    """The session record, or a 404 ``ApiError``."""
    session = store.get_session(sid)
    if session is None:
        raise ApiError(404, "not_found", f"no session {sid!r}")
    return session


def list_page(store: Store, query: SessionQuery) -> Page:
    """``store.list_sessions``, with a cursor the store rejects reported as a 400."""
    try:
        return store.list_sessions(query)
    except (ValueError, TypeError):
        if query.cursor is None:
            raise
        raise bad_param("cursor", "is not a cursor this server handed out") from None


def session_with_state(store: Store, session: dict) -> dict:
    """A session's REST shape plus its current ``state``."""
    out = session_out(session)
    out["state"] = store.get_state(session["id"])
    return out


def compat_session_with_state(store: Store, session: dict) -> dict:
    """A session with its current ``state`` in the original's types (unversioned routes)."""
    return compat_session(session, store.get_state(session["id"]))


def _tail(store: Store, stream: str, session: dict, cap: int) -> tuple[list, int]:
    """The last ``cap`` items of a stream and the index of the first one."""
    count = session.get(_COUNTS[stream]) or 0
    start = max(0, count - cap)
    return (store.read(stream, session["id"], start, count - start) if count else []), start


def state_history(store: Store, session: dict, cap: int = TAIL) -> list[dict]:
    """``[{timestamp, state}]``: the full state after each of the last ``cap`` patches.

    When older patches are cut off, replay starts from ``state_at`` the last cut-off
    patch's time: exact while patch times increase (then the last entry is the current
    state); patches sharing that time may show each other's keys early.
    """
    entries, start = _tail(store, "history", session, cap)
    state: dict = {}
    if start:
        before = store.read("history", session["id"], start - 1, 1)
        state = store.state_at(session["id"], before[0]["ts"]) if before else {}
    out = []
    for entry in entries:
        state = deep_merge(state, entry["patch"])
        out.append({"timestamp": to_rfc3339(entry["ts"]), "state": state})
    return out


def full_session(store: Store, sid: str) -> dict:
    """``GET /api/sessions/{id}``: the session with state, history, events and metrics."""
    session = require_session(store, sid)
    events, first_event = _tail(store, "events", session, TAIL)
    metrics, first_metric = _tail(store, "metrics", session, TAIL)
    out = compat_session_with_state(store, session)
    out.update(
        state_history=state_history(store, session),
        events=[compat_event(event) for event in events], events_truncated=first_event > 0,
        metrics=[compat_metric(point) for point in metrics], metrics_truncated=first_metric > 0,
    )
    return out


def stream_page(store: Store, stream: str, sid: str, start: int, limit: int) -> dict:
    """``{"items", "next", "total"}`` for one page of a session's stream (oldest first).

    ``next`` is the ``start`` of the following page, or ``None`` after the last one.
    """
    session = require_session(store, sid)
    total = session.get(_COUNTS[stream]) or 0
    fmt = _FORMAT[stream]
    items = [fmt(item, start + offset)
             for offset, item in enumerate(store.read(stream, sid, start, limit))]
    end = start + len(items)
    return {"items": items, "next": end if end < total else None, "total": total}
