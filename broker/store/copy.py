"""``datacat store copy SRC DST``: every session of one store into another, resumable.

Sessions go oldest first, a chunk of them per ``apply_parts`` call, each session written
whole in its own atomic step: a session already in the destination is left as it is, so
running the copy again after an interruption finishes it without writing anything twice.
Daemon liveness records follow; dedup marks do not (stop the ingest workers before
copying: every batch acked by then is in the source). It ends by comparing the counts.
"""

from __future__ import annotations

import functools
import sys
import time
from dataclasses import dataclass, field

from ..issues import exception_hits
from .base import SessionQuery, SessionTxn, Store

__all__ = ["copy_store", "CopyReport", "COUNTS"]

#: Per-session counts compared at the end (sums over every copied session).
COUNTS = ("event_count", "metric_count", "history_count")
_PAGE = 10_000  # stream items read at a time


@dataclass
class CopyReport:
    """What a copy did, and the totals of source and destination over the copied sessions."""

    copied: int = 0
    present: int = 0  # already in the destination (an earlier, interrupted run)
    source: dict = field(default_factory=dict)
    destination: dict = field(default_factory=dict)

    @property
    def matches(self) -> bool:
        return self.source == self.destination


def copy_store(src: Store, dst: Store, chunk: int = 100, out=sys.stderr) -> CopyReport:
    """Copy ``src`` into ``dst`` with a progress bar on ``out``; see the module docstring."""
    sids = [s["id"] for s in src.iter_sessions(SessionQuery(limit=1000))][::-1]
    report, bar = CopyReport(), _Bar(len(sids), out)
    for start in range(0, len(sids), chunk):
        batch = {sid: _read(src, sid) for sid in sids[start:start + chunk]}
        present: set[str] = set()
        dst.apply_parts(list(batch), functools.partial(_write, sources=batch, present=present))
        report.present += len(present)
        report.copied += len(batch) - len(present)
        bar.show(start + len(batch))
    for daemon in src.daemons():
        dst.put_daemon(daemon)
    bar.done()
    report.source = _totals(src, sids)
    report.destination = _totals(dst, sids)
    return report


def _read(src: Store, sid: str) -> tuple | None:
    """A session's record and streams, or ``None`` if it is gone meanwhile."""
    session = src.get_session(sid)
    if session is None:
        return None
    streams = {}
    for stream, count_field in zip(("events", "metrics", "history"), COUNTS):
        streams[stream] = [item for start in range(0, session.get(count_field, 0), _PAGE)
                           for item in src.read(stream, sid, start, _PAGE)]
    return session, streams


def _write(txn: SessionTxn, sources: dict, present: set) -> None:
    """One session, whole, unless the destination has it already."""
    source = sources[txn.sid]
    if source is None:
        return
    if txn.get_session() is not None:
        present.add(txn.sid)
        return
    record, streams = source
    session = {key: value for key, value in record.items()  # the destination's own notes
               if key not in ("status_ix", "last_issue")}
    session.update({count_field: 0 for count_field in COUNTS})
    txn.apply_state(session, [dict(entry) for entry in streams["history"]])
    events = [dict(event) for event in streams["events"]]
    txn.append("events", session, events)
    txn.append("metrics", session, [dict(point) for point in streams["metrics"]])
    # issues counted afresh, event by event, as ``apply`` counted them
    hits = exception_hits(session, events)
    if hits:
        txn.note_issues(hits)
    txn.put_session(session)


def _totals(store: Store, sids: list[str]) -> dict:
    totals = dict.fromkeys(("sessions", *COUNTS), 0)
    for sid in sids:
        session = store.get_session(sid)
        if session is not None:
            totals["sessions"] += 1
            for count_field in COUNTS:
                totals[count_field] += session.get(count_field, 0)
    return totals


class _Bar:
    """``[#####.....] 512/1000 sessions`` redrawn in place, at most ten times a second."""

    def __init__(self, total: int, out):
        self.total, self.out, self.last = total, out, 0.0

    def show(self, done: int, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < 0.1 and done < self.total:
            return
        self.last = now
        filled = 30 * done // self.total if self.total else 30
        self.out.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{self.total} sessions")
        self.out.flush()

    def done(self) -> None:
        self.show(self.total, force=True)
        self.out.write("\n")


def main(src_url: str, dst_url: str, out=sys.stderr) -> int:
    """The CLI: 0 when the counts match, 1 when they differ (``ValueError``: a bad URL)."""
    from . import open_store

    src = open_store(src_url)
    try:
        dst = open_store(dst_url)
        try:
            report = copy_store(src, dst, out=out)
        finally:
            dst.close()
    finally:
        src.close()
    out.write(f"copied {report.copied} sessions, {report.present} already there\n")
    for name in report.source:
        mark = "" if report.source[name] == report.destination[name] else "   DIFFERS"
        out.write(f"{name:>14}: source {report.source[name]}, "
                  f"destination {report.destination[name]}{mark}\n")
    return 0 if report.matches else 1
