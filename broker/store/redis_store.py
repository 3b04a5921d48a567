"""``RedisStore``: sessions on Redis (standalone, Sentinel or Cluster), no global lock.

Keys (prefix ``dc:`` by default; ``{sid}`` is a hash tag, so one session's keys share a
slot and its step is one server-side script, valid on Cluster):

- ``{sid}`` hash: ``r`` session record, ``s`` current state, ``v`` version, ``x`` index
  note, ``i`` set while its index update is due, ``d:<daemon_id>`` the last batch seq of
  that daemon applied to this session (dedup per session part)
- ``{sid}:e``, ``{sid}:m``, ``{sid}:h`` lists of events,
  metric points, history entries (msgpack each); ``{sid}:hs`` hash: state before history
  entry ``n * BLOCK``
- ``dd`` hash: daemon id -> last batch seq applied in full; ``dm``, ``wk`` hashes: daemon
  and worker records
- indexes and rollups: see ``redis_index.py``; issues: see ``redis_issues.py``

A batch: one pipelined read of the daemon's mark and every session, the steps in Python,
one pipelined compare-and-set per session (``redis_txn.py``; conflicts are read and run
again), then the index commands, then the index marks cleared and the daemon's mark raised
in one pipeline: three round trips, four when indexes are due. A part found already
applied under its session's mark is not applied again, but indexed again, and so is a
session whose ``i`` is still set at its next step: a worker that died between the steps
leaves nothing missing. A session read (``read_session``) is one read-only script call in
the session's slot (``redis_read.py``).
"""

from __future__ import annotations

import redis

from datacat.merge import deep_merge

from ..errors import StoreError
from .base import HEALTH, STATUSES, Page, SessionQuery, Store
from .codec import BLOCK, STREAMS, pack, unpack
from .dedup import check_seq
from .redis_conn import connect
from .redis_index import children_key, health_keys, index_session, rollup_keys
from .redis_issues import ISSUE_SCRIPT, READ_SCRIPT, file_hits, issue_keys, read_issues
from .redis_listing import list_page
from .redis_read import READ_SESSION_SCRIPT, read_session
from .redis_retention import DROP_SCRIPT, delete_older_than
from .redis_timeline import COUNTS_SCRIPT, MACHINES_SCRIPT, pairs, read_counts, read_extras, read_incidents
from .redis_txn import CAS_SCRIPT, RedisSessionTxn, idempotency_key, session_keys

__all__ = ["RedisStore"]

_DELETE_IF_SCRIPT = """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
"""
# seqs are compared as decimal strings: Lua's numbers are doubles, exact only to 2**53
_RAISE_SCRIPT = """
local last, seq = redis.call('HGET', KEYS[1], ARGV[1]), ARGV[2]
if not last or #last < #seq or (#last == #seq and last < seq) then
  redis.call('HSET', KEYS[1], ARGV[1], seq)
end
"""
_ROUNDS = 50  # conflicting steps are retried; this many rounds means something is wrong


class RedisStore(Store):
    """Safe to share between threads and processes on any number of hosts."""

    def __init__(self, url: str):
        self.url = url
        self._client, self._prefix = connect(url)
        self._load_scripts()

    def _load_scripts(self) -> None:
        self._cas = self._client.script_load(CAS_SCRIPT)
        self._delete_if = self._client.script_load(_DELETE_IF_SCRIPT)
        self._raise = self._client.script_load(_RAISE_SCRIPT)
        self._issue = self._client.script_load(ISSUE_SCRIPT)
        self._drop = self._client.script_load(DROP_SCRIPT)
        self._counts = self._client.script_load(COUNTS_SCRIPT)
        self._machines = self._client.script_load(MACHINES_SCRIPT)
        self._read_issue = self._client.script_load(READ_SCRIPT)
        self._read_session = self._client.script_load(READ_SESSION_SCRIPT)

    def _pipe(self):
        return self._client.pipeline(transaction=False)

    def apply_parts(self, sids, step, dedup=None):
        order = {sid: position for position, sid in enumerate(dict.fromkeys(sids))}
        todo, due = list(order), []
        for attempt in range(_ROUNDS):
            if attempt and not todo:
                break
            todo = self._round(todo, step, dedup, order, due, check=not attempt)
        else:
            raise StoreError(f"{len(todo)} sessions kept changing under this batch")
        self._index(due, dedup)

    def _round(self, sids, step, dedup, order, due: list, check: bool = False) -> list[str]:
        """Read, step and compare-and-set ``sids``; returns those to run again.

        With ``check``, the daemon's mark is read in the same round trip as the sessions and
        checked before any step runs. Appends to ``due`` the sessions to index: ``(sid,
        record, note, index mark)``.
        """
        reads = self._pipe()
        check = check and dedup is not None
        if check:
            reads.hget(self._prefix + "dd", dedup[0])
        field = "d:" + dedup[0] if dedup else "v"
        for sid in sids:
            reads.hmget(session_keys(self._prefix, sid)[0], "r", "v", "x", "s", "i", field)
        rows = reads.execute() if check or sids else []
        if check:
            last = rows.pop(0)
            check_seq(dedup[0], dedup[1], None if last is None else int(last))
        writes, written = self._pipe(), []
        for sid, (record, version, note, state, mark, seq) in zip(sids, rows):
            done = dedup is not None and seq is not None and int(seq) >= dedup[1]
            txn = None if done else RedisSessionTxn(
                sid, record, note, state, mark is not None,
                lambda key, sid=sid: self._client.get(idempotency_key(self._prefix, sid, key)))
            if txn is not None:
                step(txn)
            if txn is None or txn.session is None:  # nothing to write: index it if due
                if record is not None and (done or mark is not None):
                    due.append((sid, unpack(record), unpack(note), mark))
                continue
            txn.stamp(order[sid])
            to_index = str(int(version or 0) + 1) if txn.moved else ""
            answer_key = idempotency_key(self._prefix, sid, txn.answer[0] if txn.answer else "")
            writes.evalsha(self._cas, 6, *session_keys(self._prefix, sid), answer_key,
                           *txn.cas_args(version, dedup, to_index))
            written.append((txn, to_index))
        again = []
        for (txn, to_index), outcome in zip(written, writes.execute(raise_on_error=False)):
            if isinstance(outcome, redis.exceptions.NoScriptError):
                self._load_scripts()  # that node restarted or flushed its scripts
                again.append(txn.sid)
            elif isinstance(outcome, Exception):
                raise StoreError(f"Redis refused the step of session {txn.sid}: {outcome}")
            elif not outcome:
                again.append(txn.sid)
            elif to_index:
                due.append((txn.sid, txn.session, txn.note, to_index))
        return again

    def _index(self, due: list, dedup) -> None:
        """File the ``due`` sessions; then, in one round trip, clear their index marks (if
        still theirs) and raise the daemon's mark to this batch.

        A session's step sets its mark when its indexes must change; a mark still there at
        its next step (a worker died in between) has that step index it again. The daemon's
        mark is never lowered: a stalled worker may finish a resent batch late.
        """
        if due:
            self._file(due)
        finish = self._pipe()
        for sid, _, _, mark in due:
            if mark is not None:
                finish.evalsha(self._delete_if, 1, session_keys(self._prefix, sid)[0], "i", mark)
        if dedup is not None:
            finish.evalsha(self._raise, 1, self._prefix + "dd", *dedup)
        if len(finish):
            finish.execute()

    def _file(self, due: list) -> None:
        """Send the index commands and issue hits of ``due`` (all idempotent); sent again
        once if a node had lost the scripts (restarted or flushed)."""
        for attempt in range(2):
            files = self._pipe()
            for sid, session, note, _ in due:
                index_session(files, self._prefix, sid, session, note)
                if len(note) > 3:
                    file_hits(files, self._issue, self._prefix, sid, note[3])
            try:
                files.execute()
                return
            except redis.exceptions.NoScriptError:
                if attempt:
                    raise
                self._load_scripts()

    def get_session(self, sid):
        return unpack(self._client.hget(session_keys(self._prefix, sid)[0], "r"))

    def get_state(self, sid):
        return unpack(self._client.hget(session_keys(self._prefix, sid)[0], "s"), {})

    def get_states(self, sids):
        reads = self._pipe()
        for sid in sids:
            reads.hget(session_keys(self._prefix, sid)[0], "s")
        return [unpack(raw, {}) for raw in (reads.execute() if sids else [])]

    def read(self, stream, sid, start=0, limit=100):
        if limit <= 0:
            return []
        start = max(start, 0)
        key = session_keys(self._prefix, sid)[1 + "emh".index(STREAMS[stream][0])]
        return [unpack(raw) for raw in self._client.lrange(key, start, start + limit - 1)]

    def read_session(self, sid, streams=None, state=False, replay=False):
        return self._scripted(lambda: read_session(self._client, self._read_session, self._prefix,
                                                   sid, streams, state, replay))

    def state_at(self, sid, ts):
        keys = session_keys(self._prefix, sid)
        count = self._client.llen(keys[3])
        if count == 0:
            return {}
        heads = self._pipe()
        for block in range((count - 1) // BLOCK + 1):
            heads.lindex(keys[3], block * BLOCK)
        firsts = [unpack(raw) for raw in heads.execute()]
        block = max([n for n, first in enumerate(firsts) if first["ts"] <= ts] or [0])
        snapshot, entries = self._pipe().hget(keys[4], str(block)) \
            .lrange(keys[3], block * BLOCK, block * BLOCK + BLOCK - 1).execute()
        state = unpack(snapshot, {})
        for raw in entries:
            entry = unpack(raw)
            if entry["ts"] > ts:
                break
            state = deep_merge(state, entry["patch"])
        return state

    def list_sessions(self, query: SessionQuery) -> Page:
        return list_page(self._client, self._prefix, query)

    def products(self):
        chosen = pairs(self._client, self._prefix)
        counts = self._pipe()
        for product, version in chosen:
            for key in rollup_keys(self._prefix, product, version):
                counts.zcard(key)
            for key in health_keys(self._prefix, product, version):
                counts.zcard(key) if key.startswith(self._prefix + "hx:") else counts.scard(key)
        values, width = counts.execute() if chosen else [], len(STATUSES) + 1 + len(HEALTH)
        extras = read_extras(self._client, self._prefix, chosen)
        rollups = []
        for n, (product, version) in enumerate(chosen):
            total, *rest = values[n * width:(n + 1) * width]
            rollups.append({"product": product, "version": version, "total": total,
                            "by_status": dict(zip(STATUSES, rest)),
                            **dict(zip(HEALTH, rest[len(STATUSES):])), **extras[n]})
        return rollups

    def session_counts(self, bucket, since, until, product=None, version=None):
        return self._scripted(lambda: read_counts(self._client, (self._counts, self._machines),
                                                  self._prefix, bucket, since, until, product,
                                                  version))

    def incidents(self, limit=10, since=None, until=None):
        return read_incidents(self._client, self._prefix, limit, since, until)

    def issues(self):
        fingerprints = sorted(raw.decode() for raw in self._client.smembers(self._prefix + "issues"))
        return [issue for issue in self._read_issues(fingerprints) if issue]

    def issue(self, fingerprint):
        return self._read_issues([fingerprint])[0]

    def _read_issues(self, fingerprints: list[str]) -> list[dict | None]:
        return self._scripted(lambda: read_issues(self._client, self._read_issue, self._prefix,
                                                  fingerprints))

    def _scripted(self, read):
        """``read()``, run again once if a node had lost the scripts (restarted or
        flushed); ``read`` takes the scripts' shas from ``self`` when it runs."""
        try:
            return read()
        except redis.exceptions.NoScriptError:
            self._load_scripts()
            return read()

    def issue_sessions(self, fingerprint, start=0, limit=100):
        if limit <= 0:
            return []
        start = max(start, 0)
        raws = self._client.lrange(issue_keys(self._prefix, fingerprint)[3], start,
                                   start + limit - 1)
        return [raw.decode() for raw in raws]

    def lost_sessions(self):
        return {sid.decode() for sid in self._client.zrange(self._prefix + "ix:s:lost", 0, -1)}

    def children(self, sid, limit=100):
        if limit < 1:
            return []
        return [child.decode() for child in
                self._client.zrange(children_key(self._prefix, sid), 0, limit - 1)]

    def delete_older_than(self, cutoff, product=None, limit=100):
        return delete_older_than(self._client, self._prefix, self._drop, cutoff, product, limit)

    def get_daemon(self, daemon_id):
        return unpack(self._client.hget(self._prefix + "dm", daemon_id))

    def put_daemon(self, record):
        self._client.hset(self._prefix + "dm", record["id"], pack(record))

    def forget_daemon(self, daemon_id, last_seen):
        raw = self._client.hget(self._prefix + "dm", daemon_id)
        if raw is None or unpack(raw)["last_seen"] != last_seen:
            return False
        return bool(self._client.evalsha(self._delete_if, 1, self._prefix + "dm", daemon_id, raw))

    def put_worker(self, record):
        self._client.hset(self._prefix + "wk", record["id"], pack(record))

    def daemons(self):
        return [unpack(raw) for raw in self._client.hvals(self._prefix + "dm")]

    def workers(self):
        return [unpack(raw) for raw in self._client.hvals(self._prefix + "wk")]

    def close(self):
        self._client.close()

