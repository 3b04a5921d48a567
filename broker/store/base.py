"""The store contract. Every backend passes ``tests/contract`` against these docstrings.

Records (all plain dicts of msgpack-able values, times in epoch seconds):

- *session*: ``id, product, version, status, reason, created_at, updated_at, ended_at,
  last_heartbeat, machine_id, hostname, pid, tags, daemon_id, parent_session_id,
  hang_timeout, event_count, metric_count, history_count`` and status details.
- *state*: the session's current document (deep-merged patches).
- *history entry*: ``{"ts", "patch"}``; *event*: ``{"seq", "ts", "name", "level", ...}``;
  *metric point*: one per-window aggregate ``{"ts", "name", "type", "count", "sum", ...}``.

Appends never rewrite what a session already holds: their cost does not grow with it.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

__all__ = ["Store", "SessionTxn", "Step", "SessionQuery", "Page", "SessionRead", "STATUSES",
           "IDEMPOTENCY_TTL", "HEALTH"]

#: Every status a session can have.
STATUSES = ("active", "ended", "crashed", "hung", "suspended", "lost")
#: Release-health counts of a product rollup, besides sessions by status (``Store.products``).
HEALTH = ("hung_sessions", "machines", "crashed_machines", "hung_machines")
#: Seconds an idempotency key's answer is kept (``SessionTxn.put_idempotent``).
IDEMPOTENCY_TTL = 24 * 3600.0


@dataclass(frozen=True)
class SessionQuery:
    """Filters for ``Store.list_sessions``; ``None`` means "any".

    ``since`` and ``until`` bound ``created_at``, both inclusive; ``ever_hung`` keeps the
    sessions with at least one hang episode.
    """

    product: str | None = None
    version: str | None = None
    status: str | None = None
    ever_hung: bool = False
    since: float | None = None
    until: float | None = None
    limit: int = 50
    cursor: str | None = None


@dataclass
class Page:
    """One page of results, newest first; ``cursor`` fetches the next page (``None``: last)."""

    items: list = field(default_factory=list)
    cursor: str | None = None


@dataclass
class SessionRead:
    """What ``Store.read_session`` found: the record and the parts asked for.

    ``streams`` maps each stream asked for to ``(start, items)``, ``start`` the index of
    the first item (a negative ``start`` asked for, resolved); ``state`` is ``None`` and
    ``base`` is ``None`` unless asked for.
    """

    session: dict
    state: dict | None = None
    streams: dict[str, tuple[int, list]] = field(default_factory=dict)
    base: dict | None = None


class SessionTxn(abc.ABC):
    """One session's atomic step: everything written commits together or not at all."""

    sid: str

    @abc.abstractmethod
    def get_session(self) -> dict | None:
        """The session record as this step sees it, or ``None``."""

    @abc.abstractmethod
    def put_session(self, session: dict) -> None:
        """Create or replace the session; indexes and rollups follow it."""

    @abc.abstractmethod
    def get_state(self) -> dict:
        """The session's current state document (``{}`` if none)."""

    @abc.abstractmethod
    def apply_state(self, session: dict, entries: list[dict]) -> dict:
        """Deep-merge each ``{"ts", "patch"}`` entry into the state, log it to history.

        Returns the new state. Bumps ``session["history_count"]``; a patch that changes
        nothing is not logged.
        """

    @abc.abstractmethod
    def append(self, stream: str, session: dict, items: list) -> None:
        """Append to the ``"events"`` or ``"metrics"`` stream of ``session``.

        Bumps ``session[stream_count]`` (the step then ``put_session``s it); events get
        their ``seq`` (0-based position) here. Costs O(len(items)), not O(session size).
        """

    # Idempotency keys (REST ``Idempotency-Key``): a write and the answer it gave commit in
    # the session's one step, so a retried request finds the answer, or neither was stored.

    @abc.abstractmethod
    def get_idempotent(self, key: str, now: float) -> dict | None:
        """The answer ``put_idempotent`` stored for this session under ``key`` within
        ``IDEMPOTENCY_TTL`` seconds before ``now``; else ``None``. ``key`` is any string of
        at most 255 characters."""

    @abc.abstractmethod
    def put_idempotent(self, key: str, answer: dict, now: float) -> None:
        """Store ``answer`` (a msgpack-able map) under ``key`` for this session at ``now``.

        It commits with this step's other writes, or not at all; it is never returned
        after ``IDEMPOTENCY_TTL``, and its space is reclaimed.
        """

    @abc.abstractmethod
    def note_issues(self, hits: list[list]) -> None:
        """Attribute exception events this step appended to their issues.

        ``hits`` as ``datacat.broker.issues`` describes them, each event's ``seq`` once.
        They count with this step's writes, or later but surely (a backend may update
        issues after the session's step, idempotently): an event is never counted twice.
        """


#: A step: reads and writes one session through its ``SessionTxn``. It may run more than
#: once (a backend retries on conflict), so it touches nothing but the txn and the values
#: it was built from.
Step = Callable[[SessionTxn], None]


class Store(abc.ABC):
    """A DataCat store. Safe to share between threads; backends say if between processes."""

    @abc.abstractmethod
    def apply_parts(self, sids: list[str], step: Step,
                    dedup: tuple[str, int] | None = None) -> None:
        """Run ``step`` for each session of ``sids``, each session an atomic step.

        A backend may commit all of them together or session by session. With
        ``dedup=(daemon_id, seq)`` (checked by ``dedup.check_seq``) nothing is written and
        ``DuplicateBatch`` is raised if that daemon's batch ``seq``, or a later one, was
        applied; ``InvalidBatch("seq_out_of_window")`` if ``seq`` is too far ahead of it.
        A batch whose application was cut short is applied again part by part: the parts
        already written are not written twice (their indexes are made whole). The mark is
        recorded once every part is written; with no sessions it is recorded alone.
        """

    def delete_older_than(self, cutoff: float, product: str | None = None,
                          limit: int = 100) -> int:
        """Retention: delete up to ``limit`` sessions first stored before ``cutoff`` (of
        ``product`` when given), oldest first, walking the time index; returns how many.

        A deleted session is gone from every read: its record, state, streams, history,
        children index, listings, rollups (``total``, ``by_status``, ``hung_sessions``),
        ``lost_sessions`` and its parent's ``children``. Distinct-machine counts and issue
        figures are history and keep counting it; ``issue_sessions`` may still name it.
        Safe to run from several processes at once: a session is deleted once. Every
        backend implements it; a wrapper that only reads (the web app's) need not.
        """
        raise NotImplementedError(f"{type(self).__name__} does not delete sessions")

    @abc.abstractmethod
    def get_daemon(self, daemon_id: str) -> dict | None:
        """A daemon's liveness record ``{id, host, last_seen, watching, stats}``, or ``None``."""

    @abc.abstractmethod
    def put_daemon(self, record: dict) -> None:
        """Create or replace a daemon's liveness record."""

    @abc.abstractmethod
    def forget_daemon(self, daemon_id: str, last_seen: float) -> bool:
        """Forget a daemon unless it was heard from after ``last_seen``; ``True`` if forgotten."""

    @abc.abstractmethod
    def put_worker(self, record: dict) -> None:
        """Create or replace an ingest worker's record ``{id, host, pid, last_seen, counters}``."""

    @abc.abstractmethod
    def get_session(self, sid: str) -> dict | None:
        """The session record, or ``None``."""

    @abc.abstractmethod
    def get_state(self, sid: str) -> dict:
        """The session's current state (``{}`` for an unknown session)."""

    @abc.abstractmethod
    def get_states(self, sids: list[str]) -> list[dict]:
        """The current state of each session of ``sids``, in order (``{}`` for an unknown
        one), read together: one round trip on a networked store (one per Redis Cluster
        node at most), one ``get_many`` on a key-value store."""

    @abc.abstractmethod
    def list_sessions(self, query: SessionQuery) -> Page:
        """Sessions matching ``query``, newest first, ``query.limit`` per page.

        Newest means most recently first stored; with a status filter, most recently
        entered that status (a session that left and re-entered it is listed once, at its
        latest entry). A status listing costs the sessions in that status, not the store.
        Following ``cursor`` from page to page visits every matching session once.
        ``ValueError`` if ``query.limit < 1`` or the cursor is malformed or another query's.
        """

    @abc.abstractmethod
    def read(self, stream: str, sid: str, start: int = 0, limit: int = 100) -> list:
        """Items ``start .. start+limit`` (0-based, oldest first) of a session's stream.

        ``stream`` is ``events``, ``metrics`` or ``history``; unknown sessions give ``[]``.
        """

    @abc.abstractmethod
    def read_session(self, sid: str, streams: dict[str, tuple[int, int]] | None = None,
                     state: bool = False, replay: bool = False) -> SessionRead | None:
        """The session record with the parts asked for, read together; ``None`` for an
        unknown session. One round trip on a networked store (one per Redis Cluster node
        at most); a key-value store reads the record and state, then every block needed.

        ``streams``: ``{stream: (start, limit)}``, each read as ``read`` reads it, except
        that a negative ``start`` counts back from the stream's end (``-n``: from its
        ``n``-th last item, or its first if it has fewer). ``state``: the current state
        too. ``replay`` (with ``"history"`` in ``streams``): ``base`` is the state before
        the first history entry read (``None`` if none is read), so merging the entries
        read gives the state after each. Items never go past the record's counts; only
        what is returned (and the entries ``base`` replays within one history block) is
        decoded.
        """

    @abc.abstractmethod
    def state_at(self, sid: str, ts: float) -> dict:
        """The session's state as it was at time ``ts`` (after every patch with ``ts' <= ts``)."""

    @abc.abstractmethod
    def products(self) -> list[dict]:
        """Per product and version rollups: ``{product, version, total, by_status,
        hung_sessions, machines, crashed_machines, hung_machines, hang_episodes, first_seen,
        median_duration}``: ``hung_sessions`` counts its sessions that ever hung;
        ``machines`` the distinct ``machine_id`` of its sessions, ``crashed_machines`` and
        ``hung_machines`` those with a session there that crashed, that ever hung;
        ``first_seen`` the earliest ``created_at`` seen (kept after retention);
        ``median_duration`` the (lower) median of ``ended_at - created_at`` over its ended
        or crashed sessions, within 1 % (``None`` without any)."""

    @abc.abstractmethod
    def session_counts(self, bucket: int, since: float, until: float,
                       product: str | None = None, version: str | None = None) -> list[dict]:
        """Sessions by the hour or day their ``created_at`` falls in (``bucket`` is
        ``timeline.HOUR`` or ``timeline.DAY``), for the buckets overlapping ``since..until``:
        one row per bucket and (product, version) with any session, by bucket then pair,
        ``{at: bucket start, product, version, by_status: {status: n}, hung: sessions that
        ever hung, episodes: their hang episodes, machines: distinct ``machine_id`` of the
        sessions started there}`` (``by_status`` leaves zeros out; machines are counted when
        first seen and never taken away; Redis estimates them, within about 1 %).
        Kept at write time: the cost is the buckets and pairs, not the sessions.
        ``ValueError`` for another bucket or more than ``timeline.MAX_BUCKETS``."""

    @abc.abstractmethod
    def incidents(self, limit: int = 10, since: float | None = None,
                  until: float | None = None) -> list[dict]:
        """Up to ``limit`` sessions by their latest incident (``timeline.incident_time``:
        their crash, else their latest hang's start) within ``since..until``, newest first,
        each once: ``{at, session}``. Kept at write time (a session is filed again when its
        incident time changes)."""

    @abc.abstractmethod
    def issues(self) -> list[dict]:
        """Every issue, as ``issue`` returns it (any order). Reads no events."""

    @abc.abstractmethod
    def issue(self, fingerprint: str) -> dict | None:
        """An issue: ``fingerprint, type, message``, the ``count, sessions, machines,
        first_seen, last_seen`` of every hit, the same per product (``products``) and per
        product and version (``versions``), and ``samples``: up to ``issues.SAMPLES``
        ``[session id, event seq]`` of the first events counted. ``None`` if unknown."""

    @abc.abstractmethod
    def issue_sessions(self, fingerprint: str, start: int = 0, limit: int = 100) -> list[str]:
        """Ids of the sessions an issue was seen in, in the order first seen there."""

    @abc.abstractmethod
    def lost_sessions(self) -> set[str]:
        """Ids of the sessions whose status is ``lost``."""

    @abc.abstractmethod
    def children(self, sid: str, limit: int = 100) -> list[str]:
        """Ids of the first ``limit`` sessions created with ``parent_session_id == sid``,
        oldest first (kept at write time: a child costs one index entry)."""

    @abc.abstractmethod
    def daemons(self) -> list[dict]:
        """Liveness records of every daemon heard from and not yet retired."""

    @abc.abstractmethod
    def workers(self) -> list[dict]:
        """Records of every ingest worker that reported its counters."""

    def iter_sessions(self, query: SessionQuery) -> Iterator[dict]:
        """Every session matching ``query``, page by page (``query.limit`` per page)."""
        cursor = query.cursor
        while True:
            page = self.list_sessions(SessionQuery(**{**query.__dict__, "cursor": cursor}))
            yield from page.items
            if page.cursor is None:
                return
            cursor = page.cursor

    @abc.abstractmethod
    def close(self) -> None:
        """Release files and connections; idempotent."""
