"""``apply``: the one write path. Ingest workers and REST writes both go through it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from datacat.protocol import Kind

from .errors import InvalidBatch, StoreError, UnknownSession
from .issues import exception_hits
from .lifecycle import apply_lifecycle, new_session, note_open
from .store import SessionTxn, Store
from .validate import check_label, validate_part

__all__ = ["apply", "apply_each", "Write", "retire_daemon", "ApplyResult"]

#: Statuses a silent daemon's session leaves for ``lost``.
OPEN = frozenset({"active", "hung", "suspended"})


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
          before_write: Callable[[SessionTxn], None] | None = None) -> ApplyResult:
    """Validate ``batch``, then write it through ``Store.apply_parts``, one step per session.

    With ``daemon_id`` and ``seq`` in the batch, the store checks and records the dedup mark
    (``DuplicateBatch`` if seen, ``InvalidBatch`` if out of its window). An invalid session part raises
    ``InvalidBatch`` before anything is written, or with ``skip_invalid`` (ingest: one
    app's bad data must not cost the others theirs) is left out and named in
    ``result.rejected``. A bad envelope always raises. ``before_write(txn)`` runs first in
    each session's step (REST idempotency keys); whatever it raises writes nothing.
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
        sessions = _wake_watched(store, batch["daemon_id"], sessions, watching, now)
    daemon_id = batch.get("daemon_id") or None
    store.apply_parts(list(sessions),
                      lambda txn: _apply_part(txn, sessions[txn.sid], now, daemon_id,
                                              before_write), dedup)
    if watching is not None:
        store.put_daemon({"id": batch["daemon_id"], "host": batch.get("host"), "last_seen": now,
                          "watching": watching, "stats": batch.get("stats") or {}})
    for part in sessions.values():
        result.sessions += 1
        result.patches += len(part.get("state") or ())
        result.events += len(part.get("events") or ())
        result.metrics += len(part.get("metrics") or ())
    return result


@dataclass
class Write:
    """One request's session part for ``apply_each``; ``error`` is its outcome.

    ``now`` is the request's time. With ``existing`` the session must be stored already
    (``UnknownSession`` otherwise). ``before_write(txn)`` runs first in the session's
    step, as in ``apply``. ``error`` is ``None`` once written, else what stopped it.
    """

    sid: str
    part: dict
    now: float
    existing: bool = False
    before_write: Callable[[SessionTxn], None] | None = None
    error: BaseException | None = None


def apply_each(store: Store, writes: list[Write]) -> None:
    """Apply many independent writes in as few store transactions as exactness allows.

    Each write is validated alone, then written like a part of ``apply``; its outcome is
    its own (``Write.error``): an invalid part, an unknown session or whatever
    ``before_write`` raised stops that write only. One ``Store.apply_parts`` call holds at
    most one write per session (a step sees one write: one idempotency key on every
    backend); a session's later writes follow in the next call, in the order given.
    Should a step raise anything else (a write the step cannot apply), the group's writes
    are applied again one by one, so that write fails alone; this is exact where a batch
    commits all or nothing (the key-value stores) and where the step fails in its first
    try. A ``StoreError`` (the store failed, not the data) is every write's outcome in that
    call: on a backend that commits session by session, some may be stored nonetheless, as
    after any failed write; none is applied twice.
    """
    pending = []
    for write in writes:
        write.error = None
        try:
            validate_part(write.sid, write.part)
        except InvalidBatch as exc:
            write.error = exc
            continue
        pending.append(write)
    while pending:
        group: dict[str, Write] = {}
        later = []
        for write in pending:
            if write.sid in group:
                later.append(write)
            else:
                group[write.sid] = write
        _apply_group(store, group)
        pending = later


def _apply_group(store: Store, group: dict[str, Write]) -> None:
    """One ``apply_parts`` for writes to distinct sessions; one by one if it fails."""
    def step(txn: SessionTxn) -> None:
        write = group[txn.sid]
        write.error = None
        try:
            if write.existing and txn.get_session() is None:
                raise UnknownSession(txn.sid)
            if write.before_write is not None:
                write.before_write(txn)
        except Exception as exc:  # noqa: BLE001 - raised before this write touched the txn
            write.error = exc
            return
        _apply_part(txn, write.part, write.now, None)

    try:
        store.apply_parts(list(group), step)
    except StoreError as exc:
        for write in group.values():
            write.error = write.error or exc
    except Exception as exc:  # noqa: BLE001 - each write's own outcome below
        if len(group) == 1:
            next(iter(group.values())).error = exc
            return
        for sid, write in group.items():
            _apply_group(store, {sid: write})


def _apply_part(txn: SessionTxn, part: dict, now: float, daemon_id: str | None,
                before_write: Callable[[SessionTxn], None] | None = None) -> None:
    """One session's part: open, state, events, metrics, beat, lifecycle (may run again)."""
    if before_write is not None:
        before_write(txn)
    session = txn.get_session()
    opened = part.get("open")
    if session is None:
        session = new_session(txn.sid, opened, now, daemon_id)
    elif opened:
        note_open(session, opened)
    if daemon_id is not None:
        session["daemon_id"] = daemon_id  # the daemon that watches it now
    if part.get("state"):
        txn.apply_state(session, [{"ts": ts, "patch": patch} for ts, patch in part["state"]])
    appended: list[dict] = []
    if part.get("events"):
        appended = [dict(event, recv=now) for event in part["events"]]
        txn.append("events", session, appended)
    if part.get("metrics"):
        txn.append("metrics", session, [dict(point) for point in part["metrics"]])
    beat = part.get("beat")
    if beat is not None:
        session["last_heartbeat"] = max(beat, session.get("last_heartbeat") or 0)
    _lifecycle(txn, session, part.get("lifecycle", ()), now, appended)


def _lifecycle(txn: SessionTxn, session: dict, records, now: float,
               appended: list[dict] | None = None) -> None:
    """Apply lifecycle records, log the events they make, and store the session.

    With ``appended`` (the events this step appended), the exceptions among them and
    those the lifecycle events carry are attributed to their issues.
    """
    for kind, ts, detail in records:
        made = apply_lifecycle(session, Kind(kind), ts, detail or {})
        if made:
            made = dict(made, recv=now)
            txn.append("events", session, [made])
            if appended is not None:
                appended.append(made)
    hits = exception_hits(session, appended) if appended else []
    if hits:
        txn.note_issues(hits)
    session["updated_at"] = now
    txn.put_session(session)


def _wake_watched(store: Store, daemon_id: str, sessions: dict, watching: list,
                  now: float) -> dict:
    """The batch's session parts plus a ``wake`` for each watched session that was ``lost``."""
    sessions = dict(sessions)
    for sid in store.lost_sessions().intersection(watching):
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
    daemon = store.get_daemon(daemon_id)
    if daemon is None or now - daemon["last_seen"] <= timeout:
        return 0
    detail = {"reason": "daemon_silent", "daemon_id": daemon_id, "last_seen": daemon["last_seen"]}
    marked: dict[str, bool] = {}

    def step(txn: SessionTxn) -> None:
        session = txn.get_session()
        marked[txn.sid] = session is not None and session["status"] in OPEN
        if marked[txn.sid]:
            _lifecycle(txn, session, [[Kind.LOST, now, detail]], now)

    store.apply_parts(list(dict.fromkeys(daemon["watching"])), step)
    store.forget_daemon(daemon_id, daemon["last_seen"])
    return sum(marked.values())
