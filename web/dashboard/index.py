"""``SessionIndex``: every session's ``Summary`` in memory, kept fresh by polling the store.

The store answers "newest first, optionally by product/version/status" by scanning; the
dashboard needs more (sort by any column, hang kinds, hostnames, counts over time), so
it keeps a summary per session and a ``Rollup``. Cost: one scan of every session at
start, then per refresh one store page (new sessions) plus one ``get_session`` per
session that is not ended or crashed; memory grows with the number of sessions.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator

from datacat.broker.store import SessionQuery, Store

from .rollup import Rollup
from .summary import Summary, summarize

__all__ = ["SessionIndex", "Changes", "fetch_changes", "SCAN_PAGE"]

#: Sessions read per store page while looking for new ones.
SCAN_PAGE = 500


class Changes:
    """Summaries of what ``fetch_changes`` read: new sessions (oldest first) and updates."""

    def __init__(self, new: list[Summary], updated: list[Summary]):
        self.new = new
        self.updated = updated


def fetch_changes(store: Store, is_known, live: list[str]) -> Changes:
    """Read what changed: sessions stored since the newest known one, and ``live`` ones again.

    Blocking (store reads): run it in a thread. ``is_known(sid)`` says whether the index
    already holds a session; the scan stops at the first one it does. Records are
    summarized as they are read, so a first scan never holds every record at once.
    """
    new = []
    for record in store.iter_sessions(SessionQuery(limit=SCAN_PAGE)):
        if is_known(record["id"]):
            break
        new.append(summarize(record))
    new.reverse()
    updated = [summarize(record) for sid in live if (record := store.get_session(sid)) is not None]
    return Changes(new, updated)


class SessionIndex:
    """Summaries by id, by start time, and the ``Rollup``. Not thread-safe: mutate it from
    one thread (the event loop) and hand store reads to ``fetch_changes`` in a worker."""

    def __init__(self):
        self.by_id: dict[str, Summary] = {}
        self.rollup = Rollup()
        self._by_created: list[tuple[float, str]] = []
        self._live: set[str] = set()
        #: Bumped on every change, so results computed from the index can be cached.
        self.generation = 0
        self.ready = False

    def __len__(self) -> int:
        return len(self.by_id)

    def live_ids(self) -> list[str]:
        return list(self._live)

    def note(self, record: dict) -> Summary:
        """Take in one session record (new or updated); returns its summary."""
        return self.take(summarize(record))

    def take(self, summary: Summary) -> Summary:
        """Take in one session's summary (new or updated); returns what the index holds."""
        old = self.by_id.get(summary.id)
        if old == summary:
            return old
        if old is not None:
            self.rollup.remove(old)
            del self._by_created[bisect.bisect_left(self._by_created, (old.created, old.id))]
        self.by_id[summary.id] = summary
        bisect.insort(self._by_created, (summary.created, summary.id))
        self.rollup.add(summary)
        (self._live.add if summary.live else self._live.discard)(summary.id)
        self.generation += 1
        return summary

    def apply(self, changes: Changes) -> None:
        """Take in what ``fetch_changes`` read."""
        for summary in changes.new:
            self.take(summary)
        for summary in changes.updated:
            self.take(summary)
        self.ready = True

    def walk(self, since: float | None = None, until: float | None = None,
             after: tuple[float, str] | None = None, newest_first: bool = True) -> Iterator[Summary]:
        """Summaries by ``(start time, id)`` within ``since..until`` (inclusive), newest or
        oldest first, from just past the position ``after`` on (exclusive)."""
        keys = self._by_created
        start, end = self._span(since, until)
        if after is not None and newest_first:
            end = min(end, bisect.bisect_left(keys, after))
        elif after is not None:
            start = max(start, bisect.bisect_right(keys, after))
        positions = range(end - 1, start - 1, -1) if newest_first else range(start, end)
        by_id = self.by_id
        for position in positions:
            yield by_id[keys[position][1]]

    def count_between(self, since: float | None, until: float | None) -> int:
        """How many sessions started within ``since..until`` (inclusive; ``None``: open)."""
        start, end = self._span(since, until)
        return max(0, end - start)

    def _span(self, since: float | None, until: float | None) -> tuple[int, int]:
        keys = self._by_created
        end = len(keys) if until is None else bisect.bisect_right(keys, (until, "\uffff"))
        return (0 if since is None else bisect.bisect_left(keys, (since, ""))), end

    def first_created(self) -> float | None:
        return self._by_created[0][0] if self._by_created else None
