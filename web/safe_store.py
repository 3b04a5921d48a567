"""``SafeStore``: the store as the web reads it, every record typed by ``web.records``."""

from __future__ import annotations

from datacat.broker.store import Page, SessionQuery, Store
from datacat.broker.store.base import SessionRead
from datacat.merge import deep_merge

from .records import (
    event_record,
    history_record,
    issue_record,
    metric_record,
    rollup_record,
    session_record,
    state_doc,
)

__all__ = ["SafeStore"]

_ITEMS = {"events": event_record, "metrics": metric_record, "history": history_record}


class SafeStore(Store):
    """Wraps a ``Store``: writes pass through; reads come back in the types readers expect."""

    def __init__(self, store: Store):
        self.inner = store

    def apply_parts(self, sids, step, dedup=None):
        self.inner.apply_parts(sids, step, dedup)

    def get_daemon(self, daemon_id):
        return self.inner.get_daemon(daemon_id)

    def put_daemon(self, record):
        self.inner.put_daemon(record)

    def forget_daemon(self, daemon_id, last_seen):
        return self.inner.forget_daemon(daemon_id, last_seen)

    def put_worker(self, record):
        self.inner.put_worker(record)

    def get_session(self, sid):
        session = self.inner.get_session(sid)
        return None if session is None else session_record(session)

    def get_state(self, sid):
        return state_doc(self.inner.get_state(sid))

    def get_states(self, sids):
        return [state_doc(state) for state in self.inner.get_states(sids)]

    def list_sessions(self, query: SessionQuery) -> Page:
        page = self.inner.list_sessions(query)
        return Page([session_record(s) for s in page.items], page.cursor)

    def read(self, stream, sid, start=0, limit=100):
        return [_ITEMS[stream](item) for item in self.inner.read(stream, sid, start, limit)]

    def read_session(self, sid, streams=None, state=False, replay=False):
        try:
            found = self.inner.read_session(sid, streams, state, replay)
        except (TypeError, AttributeError, KeyError, ValueError):  # an odd patch on the way
            if not replay:
                raise
            found = self.inner.read_session(sid, streams, state)
            first, entries = (found.streams if found else {}).get("history", (0, []))
            if entries:
                found.base = self._replayed(sid, lambda n, _: n < first)
        if found is None:
            return None
        return SessionRead(
            session_record(found.session), None if found.state is None else state_doc(found.state),
            {stream: (start, [_ITEMS[stream](item) for item in items])
             for stream, (start, items) in found.streams.items()},
            None if found.base is None else state_doc(found.base))

    def state_at(self, sid, ts):
        try:
            return state_doc(self.inner.state_at(sid, ts))
        except (TypeError, AttributeError, KeyError, ValueError):  # an odd patch on the way
            return self._replayed(sid, lambda _, entry: entry["ts"] <= ts)

    def _replayed(self, sid: str, keep) -> dict:
        """The state from the session's history entries ``keep(index, entry)`` accepts."""
        state: dict = {}
        for n, entry in enumerate(self.read("history", sid, 0, (self.get_session(sid) or {}).get(
                "history_count", 0))):
            if keep(n, entry):
                state = deep_merge(state, entry["patch"])
        return state

    def products(self):
        return [rollup_record(r) for r in self.inner.products()]

    def session_counts(self, bucket, since, until, product=None, version=None):
        return self.inner.session_counts(bucket, since, until, product, version)

    def incidents(self, limit=10, since=None, until=None):
        return [{"at": row["at"], "session": session_record(row["session"])}
                for row in self.inner.incidents(limit, since, until)]

    def issues(self):
        return [issue_record(i) for i in self.inner.issues()]

    def issue(self, fingerprint):
        issue = self.inner.issue(fingerprint)
        return None if issue is None else issue_record(issue)

    def issue_sessions(self, fingerprint, start=0, limit=100):
        return [s for s in self.inner.issue_sessions(fingerprint, start, limit)
                if isinstance(s, str)]

    def lost_sessions(self):
        return self.inner.lost_sessions()

    def children(self, sid, limit=100):
        return [child for child in self.inner.children(sid, limit) if isinstance(child, str)]

    def daemons(self):
        return [d for d in self.inner.daemons() if isinstance(d, dict)]

    def workers(self):
        return [w for w in self.inner.workers() if isinstance(w, dict)]

    def close(self):
        self.inner.close()
