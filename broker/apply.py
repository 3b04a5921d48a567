"""``apply``: the one write path. Ingest workers and REST writes both go through it."""

from __future__ import annotations

import time
from dataclasses import dataclass

from datacat.protocol import Kind

from .errors import InvalidBatch
from .lifecycle import apply_lifecycle, new_session, note_open
from .store import Store
from .validate import check_label, validate_part

__all__ = ["apply", "ApplyResult"]


@dataclass
class ApplyResult:
    """What one ``apply`` wrote."""

    sessions: int = 0
    events: int = 0
    metrics: int = 0
    patches: int = 0


def apply(store: Store, batch: dict, now: float | None = None) -> ApplyResult:
    """Validate ``batch`` whole, then write it in one transaction.

    With ``daemon_id`` and ``seq`` in the batch, the dedup mark is part of the same
    transaction (``DuplicateBatch`` if seen). Raises ``InvalidBatch`` before writing
    anything if any part is not valid.
    """
    now = time.time() if now is None else now
    sessions = batch.get("sessions") if isinstance(batch, dict) else None
    if not isinstance(sessions, dict):
        raise InvalidBatch("malformed", "sessions must be a map")
    for sid, part in sessions.items():
        validate_part(sid, part)
    dedup = None
    if batch.get("daemon_id"):
        check_label("daemon_id", batch["daemon_id"])
        seq = batch.get("seq")
        if type(seq) is not int or seq < 0:
            raise InvalidBatch("malformed", "a batch with a daemon_id needs an integer seq >= 0")
        dedup = (batch["daemon_id"], seq)
    result = ApplyResult()
    with store.transaction(dedup) as txn:
        for sid, part in sessions.items():
            session = txn.get_session(sid)
            opened = part.get("open")
            if session is None:
                session = new_session(sid, opened, now, batch.get("daemon_id"))
            elif opened:
                note_open(session, opened)
            if part.get("state"):
                entries = [{"ts": ts, "patch": patch} for ts, patch in part["state"]]
                txn.apply_state(session, entries)
                result.patches += len(entries)
            if part.get("events"):
                events = [dict(event, recv=now) for event in part["events"]]
                txn.append("events", session, events)
                result.events += len(events)
            if part.get("metrics"):
                txn.append("metrics", session, part["metrics"])
                result.metrics += len(part["metrics"])
            beat = part.get("beat")
            if beat is not None:
                session["last_heartbeat"] = max(beat, session.get("last_heartbeat") or 0)
            for kind, ts, detail in part.get("lifecycle", ()):
                made = apply_lifecycle(session, Kind(kind), ts, detail or {})
                if made:
                    txn.append("events", session, [dict(made, recv=now)])
            session["updated_at"] = now
            txn.put_session(session)
            result.sessions += 1
    return result
