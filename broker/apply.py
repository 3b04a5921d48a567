"""``apply``: the one write path. Ingest workers and REST writes both go through it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from datacat.protocol import Kind

from .errors import InvalidBatch
from .lifecycle import apply_lifecycle, new_session, note_open
from .store import Store, StoreTxn
from .validate import check_label, validate_part

__all__ = ["apply", "retire_daemon", "ApplyResult"]


@dataclass
class ApplyResult:
    """What one ``apply`` wrote."""

    sessions: int = 0
    events: int = 0
    metrics: int = 0
    patches: int = 0
    rejected: dict = field(default_factory=dict)  # session id -> why its part was skipped


def apply(store: Store, batch: dict, now: float | None = None,
          skip_invalid: bool = False,
          before_write: Callable[[StoreTxn], None] | None = None) -> ApplyResult:
    """Validate ``batch``, then write it in one transaction.

    With ``daemon_id`` and ``seq`` in the batch, the dedup mark is part of the same
    transaction (``DuplicateBatch`` if seen). An invalid session part raises
    ``InvalidBatch`` before anything is written, or with ``skip_invalid`` (ingest: one
    app's bad data must not cost the others theirs) is left out and named in
    ``result.rejected``. A bad envelope always raises. ``before_write(txn)`` runs first
    inside the transaction (REST idempotency keys); whatever it raises writes nothing.
    """
    now = time.time() if now is None else now
    sessions = batch.get("sessions") if isinstance(batch, dict) else None
    if not isinstance(sessions, dict):
        raise InvalidBatch("malformed", "sessions must be a map")
    result = ApplyResult()
    for sid, part in list(sessions.items()):
        try:
            validate_part(sid, part)
        except InvalidBatch as exc:
            if not skip_invalid:
                raise
            result.rejected[str(sid)[:64]] = exc.reason
            sessions = {k: v for k, v in sessions.items() if k != sid}
    dedup = None
    if batch.get("daemon_id"):
        check_label("daemon_id", batch["daemon_id"])
        seq = batch.get("seq")
        if type(seq) is not int or seq < 0:
            raise InvalidBatch("malformed", "a batch with a daemon_id needs an integer seq >= 0")
        dedup = (batch["daemon_id"], seq)
    watching = batch.get("watching")
    if watching is not None:
        if not isinstance(watching, list) or not all(isinstance(s, str) for s in watching):
            raise InvalidBatch("bad_field", "watching must be a list of session ids")
        if dedup is None:
            raise InvalidBatch("malformed", "only a daemon's batch carries watching")
    with store.transaction(dedup) as txn:
        if before_write is not None:
            before_write(txn)
        if watching is not None:
            sessions = _note_daemon(txn, batch, sessions, watching, now)
        for sid, part in sessions.items():
            session = txn.get_session(sid)
            opened = part.get("open")
            if session is None:
                session = new_session(sid, opened, now, batch.get("daemon_id"))
            elif opened:
                note_open(session, opened)
            if dedup is not None:
                session["daemon_id"] = dedup[0]  # the daemon that watches it now
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
            _lifecycle(txn, session, part.get("lifecycle", ()), now)
            result.sessions += 1
    return result


def _lifecycle(txn: StoreTxn, session: dict, records, now: float) -> None:
    """Apply lifecycle records, log the events they make, and store the session."""
    for kind, ts, detail in records:
        made = apply_lifecycle(session, Kind(kind), ts, detail or {})
        if made:
            txn.append("events", session, [dict(made, recv=now)])
    session["updated_at"] = now
    txn.put_session(session)


def _note_daemon(txn: StoreTxn, batch: dict, sessions: dict, watching: list, now: float) -> dict:
    """Record the daemon's liveness; sessions it watches that were ``lost`` come back.

    Returns the batch's session parts plus a ``wake`` for each such session.
    """
    daemon_id = batch["daemon_id"]
    txn.put_daemon({"id": daemon_id, "host": batch.get("host"), "last_seen": now,
                    "watching": watching, "stats": batch.get("stats") or {}})
    sessions = dict(sessions)
    for sid in txn.lost_sessions().intersection(watching):
        part = dict(sessions.get(sid, {}))
        part["lifecycle"] = [[Kind.WAKE, now, {"cause": "daemon_back", "daemon_id": daemon_id}]] \
            + list(part.get("lifecycle", ()))
        sessions[sid] = part
    return sessions


def retire_daemon(store: Store, daemon_id: str, timeout: float, now: float | None = None) -> int:
    """Mark the open sessions of a daemon silent for ``timeout`` seconds ``lost``; forget it.

    Does nothing if the daemon was heard from meanwhile. Returns how many sessions it marked.
    """
    now = time.time() if now is None else now
    marked = 0
    with store.transaction() as txn:
        daemon = txn.get_daemon(daemon_id)
        if daemon is None or now - daemon["last_seen"] <= timeout:
            return 0
        detail = {"reason": "daemon_silent", "daemon_id": daemon_id,
                  "last_seen": daemon["last_seen"]}
        for sid in daemon["watching"]:
            session = txn.get_session(sid)
            if session is not None and session["status"] in ("active", "hung", "suspended"):
                _lifecycle(txn, session, [[Kind.LOST, now, detail]], now)
                marked += 1
        txn.delete_daemon(daemon_id)
    return marked
