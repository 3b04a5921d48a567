"""Session records and their status transitions (pure functions on dicts)."""

from __future__ import annotations

from datacat.protocol import Kind

__all__ = ["new_session", "note_open", "apply_lifecycle", "TERMINAL"]

#: Statuses a session does not leave by itself.
TERMINAL = frozenset({"ended", "crashed"})
_OPEN_FIELDS = ("product", "version", "pid", "start_time", "hostname", "machine_id", "tags",
                "sdk", "hang_timeout", "parent_session_id")


def new_session(sid: str, opened: dict | None, now: float, daemon_id: str | None) -> dict:
    """A fresh ``active`` session record; ``opened`` is the open record's fields (or ``None``)."""
    session = {field: None for field in _OPEN_FIELDS}
    session.update(
        id=sid, product="unknown", version="unknown", status="active", reason=None,
        created_at=now, received_at=now, updated_at=now, ended_at=None, last_heartbeat=None,
        daemon_id=daemon_id, event_count=0, metric_count=0, history_count=0, hangs=[],
    )
    if opened:
        note_open(session, opened)
    return session


def note_open(session: dict, opened: dict) -> None:
    """Copy an open record's fields into ``session`` (client time becomes ``created_at``)."""
    for field in _OPEN_FIELDS:
        if opened.get(field) is not None:
            session[field] = opened[field]
    if opened.get("ts") is not None:
        session["created_at"] = opened["ts"]


def apply_lifecycle(session: dict, kind: Kind, ts: float, detail: dict) -> dict | None:
    """Move ``session`` through one lifecycle record; returns an event to log, if any."""
    status = session["status"]
    if status in TERMINAL:
        return None
    if kind is Kind.END:
        session.update(status="ended", reason=detail.get("reason") or "end", ended_at=ts)
        return None
    if kind is Kind.CRASH:
        reason = detail.get("reason") or "abnormal_termination"
        session.update(status="crashed", reason=reason, ended_at=ts)
        return {"ts": ts, "name": "session_crashed", "level": "critical", "category": "crash",
                "message": reason, "data": detail}
    if kind is Kind.HANG and status != "hung":
        session["status"] = "hung"
        session["hangs"] = session.get("hangs", []) + [{"start": ts, "end": None}]
        return {"ts": ts, "name": "application_appears_hung", "level": "error",
                "category": "hang", "data": detail}
    if kind is Kind.RECOVER and status == "hung":
        hangs = session["hangs"]
        hangs[-1] = dict(hangs[-1], end=ts)
        session["status"] = "active"
        duration = ts - hangs[-1]["start"]
        return {"ts": ts, "name": "application_recovered", "level": "info", "category": "hang",
                "data": dict(detail, hang_duration=duration)}
    return None
