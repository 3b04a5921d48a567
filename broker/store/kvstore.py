"""``KVStore``: the record layout and queries of every key-value backed store.

Keys (``\\x1f`` separates user-supplied parts):

- ``s/<sid>`` session record, ``st/<sid>`` current state, ``d/<daemon_id>`` last applied seq
- ``e/<sid>/<n>``, ``m/<sid>/<n>``, ``h/<sid>/<n>``: blocks of ``BLOCK`` events, metric points,
  state patches, each block a concatenation of msgpack items (appending never decodes)
- ``hs/<sid>/<n>``: state snapshot before history block ``n`` (cheap ``state_at``)
- ``ix/<index>/<n>`` blocks of session ids in arrival order, ``ixc/<index>`` their count,
  for the indexes ``all``, ``p<product>``, ``v<product>\\x1f<version>``, ``c<parent id>`` (the
  sessions created with that parent) and ``s<status>`` (a session is appended each time it
  enters the status; its record's ``status_ix`` names its latest entry, so older ones are
  skipped); ``sx/<sid>`` the
  indexes a session was added to, written only once its product or version changed (the
  entries it left behind stay and are filtered out at query time)
- ``r/<product>\\x1f<version>`` status rollups, ``r/`` the list of known (product, version);
  ``rm/<product>\\x1f<version>\\x1f<machine>`` that machine's bits there: seen 1, crashed 2, hung 4
- ``dm/<daemon_id>`` a daemon's liveness record, ``dm/`` the ids of daemons heard from;
  ``wk/<worker_id>``, ``wk/`` the same for ingest workers; ``lost/`` the ids of sessions
  whose status is ``lost``
- ``is/<fp>`` an issue's record, ``is/`` the fingerprints; ``isx/<fp>\\x1f<sid>`` the last
  event seq of that session counted in it and the scopes it was seen in; ``ism/<fp>\\x1f<machine>``
  the scopes that machine was seen in; ``ix/i<fp>`` the issue's sessions (``broker/issues.py``)
- ``rt/<index>`` how many entries at the front of the ``all`` or a product index retention
  has passed (``kvretention``)
- ``ik/<sid>\\x1f<key>`` an idempotency key's ``{ts, answer}`` for one session;
  ``ikh/<hour>/<n>`` blocks of the keys stored in that hour (``ikc/<hour>`` their count),
  ``ikh/`` the hours listed, so a put deletes the keys of expired hours
"""

from __future__ import annotations

from contextlib import contextmanager

from datacat.merge import deep_merge

from ..issues import issue_out
from .base import HEALTH, Page, SessionQuery, Store
from .codec import BLOCK, SEP, iter_items, pack, rollup_key, unpack
from .dedup import check_seq
from .kv import KVBackend
from .kvread import read_session
from .kvretention import delete_older_than
from .kvtimeline import HUNG, INCIDENTS, read_counts, read_extras
from .kvtxn import CHILDREN, KVTxn, SessionView
from .timeline import incident_time

__all__ = ["KVStore", "BLOCK", "matches"]

_SCAN_CHUNK = 256


class KVStore(Store):
    """Every query and layout, over a ``KVBackend`` supplied by the subclass."""

    def __init__(self, kv: KVBackend):
        self._kv = kv

    @contextmanager
    def _transaction(self):
        """One exclusive section of the KV layer: its writes commit together at the end."""
        with self._kv.exclusive():
            txn = KVTxn(self._kv)
            yield txn
            if txn._writes:
                self._kv.write_many(txn._writes)

    def apply_parts(self, sids, step, dedup=None):
        with self._transaction() as txn:  # the whole batch is one step here
            if dedup is not None:
                daemon_id, seq = dedup
                check_seq(daemon_id, seq, unpack(txn._get_raw("d/" + daemon_id)))
                txn._set_raw("d/" + daemon_id, pack(seq))
            for sid in sids:
                step(SessionView(txn, sid))

    def delete_older_than(self, cutoff, product=None, limit=100):
        return delete_older_than(self, cutoff, product, limit)

    def get_daemon(self, daemon_id):
        return self._get("dm/" + daemon_id)

    def put_daemon(self, record):
        with self._transaction() as txn:
            txn.put_daemon(record)

    def forget_daemon(self, daemon_id, last_seen):
        with self._transaction() as txn:
            daemon = txn.get_daemon(daemon_id)
            if daemon is None or daemon["last_seen"] != last_seen:
                return False
            txn.delete_daemon(daemon_id)
            return True

    def put_worker(self, record):
        with self._transaction() as txn:
            txn.put_worker(record)

    def _get(self, key: str, default=None):
        return unpack(self._kv.get_many([key])[0], default)

    def get_session(self, sid):
        return self._get("s/" + sid)

    def get_state(self, sid):
        return self._get("st/" + sid, {})

    def get_states(self, sids):
        return [unpack(raw, {}) for raw in self._kv.get_many(["st/" + sid for sid in sids])]

    def read(self, stream, sid, start=0, limit=100):
        found = read_session(self._kv, sid, {stream: (max(start, 0), limit)})
        return [] if found is None else found.streams[stream][1]

    def read_session(self, sid, streams=None, state=False, replay=False):
        return read_session(self._kv, sid, streams, state, replay)

    def state_at(self, sid, ts):
        session = self.get_session(sid)
        count = session.get("history_count", 0) if session else 0
        if count == 0:
            return {}
        blocks = (count - 1) // BLOCK + 1
        lo, hi = 0, blocks - 1  # find the last block whose first patch is at or before ts
        while lo < hi:
            mid = (lo + hi + 1) // 2
            first = next(iter_items(self._kv.get_many([f"h/{sid}/{mid}"])[0] or b""), None)
            if first is not None and first["ts"] <= ts:
                lo = mid
            else:
                hi = mid - 1
        snapshot_raw, block_raw = self._kv.get_many([f"hs/{sid}/{lo}", f"h/{sid}/{lo}"])
        state = unpack(snapshot_raw, {})
        for entry in iter_items(block_raw or b""):
            if entry["ts"] > ts:
                break
            state = deep_merge(state, entry["patch"])
        return state

    def _index_ids(self, name: str, end: int) -> list[str]:
        """Up to ``_SCAN_CHUNK`` session ids of index ``name`` before position ``end``, newest first."""
        return self._index_range(name, max(0, end - _SCAN_CHUNK), end)[::-1]

    def _index_range(self, name: str, start: int, end: int) -> list[str]:
        """The ids at positions ``start .. end`` (``0 <= start < end``) of index ``name``."""
        blocks = range(start // BLOCK, (end - 1) // BLOCK + 1)
        raws = self._kv.get_many([f"ix/{name}/{b}" for b in blocks])
        ids = []
        for raw in raws:
            ids.extend(iter_items(raw or b""))
        first = blocks[0] * BLOCK
        return ids[start - first:end - first]

    def list_sessions(self, query: SessionQuery) -> Page:
        if query.limit < 1:
            raise ValueError(f"list_sessions needs a limit of at least 1, not {query.limit}")
        name, by_status, position = self._walk_start(query)
        items: list[dict] = []
        while position > 0 and len(items) < query.limit:
            ids = self._index_ids(name, position)
            sessions = self._kv.get_many(["s/" + sid for sid in ids])
            for raw in sessions:
                position -= 1
                session = unpack(raw)
                if session is None or not matches(session, query):
                    continue
                if by_status and session.get("status_ix") != position:
                    continue  # an earlier stay in this status; its latest entry is listed
                items.append(session)
                if len(items) == query.limit:
                    break
        if position <= 0:
            return Page(items, None)
        return Page(items, ("s" if by_status else "h" if query.ever_hung else "") + str(position))

    def _walk_start(self, query: SessionQuery) -> tuple[str, bool, int]:
        """Which index to walk (``name``, is it a status index) and from where.

        A status filter walks that status's index (newest entry first), ``ever_hung`` the
        index of sessions that hung; otherwise the product, product+version or ``all``
        index. Status cursors carry an ``s`` prefix, hung ones an ``h``.
        """
        by_status = query.status is not None
        kind = "s" if by_status else "h" if query.ever_hung else ""
        if by_status:
            name = "s" + query.status
        elif query.ever_hung:
            name = HUNG
        elif query.product is not None and query.version is not None:
            name = "v" + query.product + SEP + query.version
        elif query.product is not None:
            name = "p" + query.product
        else:
            name = "all"
        cursor = query.cursor or ""
        if cursor and (cursor[:1] if cursor[:1] in "sh" else "") != kind:
            raise ValueError(f"not a session cursor for this query: {cursor!r}")
        count = self._get("ixc/" + name, 0)
        if not cursor:
            return name, by_status, count
        digits = cursor[len(kind):]  # a position in the index: digits only, never negative
        if not (digits.isascii() and digits.isdigit()):
            raise ValueError(f"not a session cursor: {query.cursor!r}")
        return name, by_status, min(int(digits), count)  # never past its end (no repeats)

    def products(self):
        pairs = self._get("r/", [])
        raws = self._kv.get_many([rollup_key(p, v) for p, v in pairs]
                                 + ["tx/" + p + SEP + v for p, v in pairs])
        return [{**dict.fromkeys(HEALTH, 0), **unpack(raw), **read_extras(extras)}
                for raw, extras in zip(raws[:len(pairs)], raws[len(pairs):]) if raw is not None]

    def session_counts(self, bucket, since, until, product=None, version=None):
        return read_counts(self._kv.get_many, bucket, since, until, product, version)

    def incidents(self, limit=10, since=None, until=None):
        """Walks index ``x`` newest first: it is in the order incidents were stored, so
        the walk ends at the first one before ``since``."""
        seen, found = set(), []
        position = self._get("ixc/" + INCIDENTS, 0)
        while position > 0 and len(found) < limit:
            ids = [sid for sid in dict.fromkeys(self._index_ids(INCIDENTS, position))
                   if sid not in seen]
            position -= _SCAN_CHUNK
            seen.update(ids)
            for raw in self._kv.get_many(["s/" + sid for sid in ids]):
                at = None if raw is None else incident_time(session := unpack(raw))
                if at is None or (until is not None and at > until):
                    continue
                if since is not None and at < since:
                    position = 0
                    break
                found.append({"at": at, "session": session})
                if len(found) == limit:
                    break
        return sorted(found, key=lambda row: -row["at"])

    def issues(self):
        raws = self._kv.get_many(["is/" + issue for issue in self._get("is/", [])])
        return [issue_out(unpack(raw)) for raw in raws if raw is not None]

    def issue(self, fingerprint):
        record = self._get("is/" + fingerprint)
        return None if record is None else issue_out(record)

    def issue_sessions(self, fingerprint, start=0, limit=100):
        name = "i" + fingerprint
        count = self._get("ixc/" + name, 0)
        start, end = max(start, 0), min(count, max(start, 0) + max(limit, 0))
        if start >= end:
            return []
        return self._index_range(name, start, end)

    def lost_sessions(self):
        return set(self._get("lost/", []))

    def children(self, sid, limit=100):
        count = min(self._get("ixc/" + CHILDREN + sid, 0), limit)
        return self._index_range(CHILDREN + sid, 0, count) if count > 0 else []

    def daemons(self):
        return self._peers("dm/")

    def workers(self):
        return self._peers("wk/")

    def _peers(self, prefix: str) -> list[dict]:
        ids = self._get(prefix, [])
        return [unpack(raw) for raw in self._kv.get_many([prefix + i for i in ids]) if raw]

    def close(self):
        self._kv.close()


def matches(session: dict, query: SessionQuery) -> bool:
    """Does ``session`` pass every filter of ``query``?"""
    # product too: an index may still hold a session whose product changed since
    if query.product is not None and session["product"] != query.product:
        return False
    if query.version is not None and session["version"] != query.version:
        return False
    if query.status is not None and session["status"] != query.status:
        return False
    if query.ever_hung and not session.get("hang_count"):
        return False
    created = session["created_at"]
    if query.since is not None and created < query.since:
        return False
    return query.until is None or created <= query.until
