"""Session records and their status transitions (pure functions on dicts)."""

from __future__ import annotations

from datacat.protocol import Kind

__all__ = ["new_session", "note_open", "apply_lifecycle", "TERMINAL"]

#: Hang and suspend episodes kept in a session record (older ones are only counted).
MAX_EPISODES = 100
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
        daemon_id=daemon_id, event_count=0, metric_count=0, history_count=0,
        hangs=[], hang_count=0, suspends=[], suspend_count=0,
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
    handler = _TRANSITIONS.get(kind)
    return handler(session, status, ts, detail) if handler else None


def _end(session, status, ts, detail):
    session.update(status="ended", reason=detail.get("reason") or "end", ended_at=ts)
    _close_episodes(session, ts)
    return None


def _crash(session, status, ts, detail):
    reason = detail.get("reason") or "abnormal_termination"
    session.update(status="crashed", reason=reason, ended_at=ts)
    _close_episodes(session, ts)
    message = reason if not detail.get("signal") else f"{reason} ({detail['signal']})"
    return {"ts": ts, "name": "session_crashed", "level": "critical", "category": "crash",
            "message": message, "data": detail}


def _hang(session, status, ts, detail):
    if status == "hung":
        return None
    session["status"] = "hung"
    _episode(session, "hangs", {"start": ts, "end": None})
    return {"ts": ts, "name": "application_appears_hung", "level": "error", "category": "hang",
            "message": f"no heartbeat for {detail.get('since_last_beat', 0):.1f} s",
            "data": detail}


def _recover(session, status, ts, detail):
    hangs = session.get("hangs") or []
    if status != "hung" or not hangs:
        return None
    hangs[-1] = dict(hangs[-1], end=ts)
    session["status"] = "active"
    duration = ts - hangs[-1]["start"]
    return {"ts": ts, "name": "application_recovered", "level": "info", "category": "hang",
            "message": f"recovered after {duration:.1f} s", "data": dict(detail, hang_duration=duration)}


def _suspend(session, status, ts, detail):
    session["status"] = "suspended"
    _episode(session, "suspends", {"start": ts, "end": None, "cause": detail.get("cause")})
    return None


def _wake(session, status, ts, detail):
    """Back from a suspend, or from ``lost`` when the daemon returns."""
    if status not in ("suspended", "lost"):
        return None
    suspends = session.get("suspends") or []
    if status == "suspended" and suspends and suspends[-1]["end"] is None:
        suspends[-1] = dict(suspends[-1], end=ts)
    session["status"] = "hung" if _open_hang(session) else "active"
    return None


def _lost(session, status, ts, detail):
    if status == "lost":
        return None
    session.update(status="lost", reason=detail.get("reason") or "daemon_silent")
    return {"ts": ts, "name": "session_lost", "level": "error", "category": "lifecycle",
            "message": "the daemon watching this session went silent", "data": detail}


def _episode(session: dict, name: str, episode: dict) -> None:
    """Start an episode; the record keeps the last ``MAX_EPISODES`` and counts them all."""
    session[name] = (session.get(name) or [])[-(MAX_EPISODES - 1):] + [episode]
    count = name.rstrip("s") + "_count"
    session[count] = session.get(count, len(session[name]) - 1) + 1


def _open_hang(session: dict) -> bool:
    hangs = session.get("hangs") or []
    return bool(hangs) and hangs[-1]["end"] is None


def _close_episodes(session: dict, ts: float) -> None:
    for name in ("hangs", "suspends"):
        episodes = session.get(name) or []
        if episodes and episodes[-1]["end"] is None:
            episodes[-1] = dict(episodes[-1], end=ts)


_TRANSITIONS = {Kind.END: _end, Kind.CRASH: _crash, Kind.HANG: _hang, Kind.RECOVER: _recover,
                Kind.SUSPEND: _suspend, Kind.WAKE: _wake, Kind.LOST: _lost}
