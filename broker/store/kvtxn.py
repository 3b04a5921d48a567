"""``KVTxn``: one read-modify-write transaction of ``KVStore`` (keys: see ``kvstore.py``)."""

from __future__ import annotations

from ..issues import fold, new_record, scopes
from .base import IDEMPOTENCY_TTL, SessionTxn
from .codec import BLOCK, SEP, index_names, iter_items, machine_key, pack, rollup_key, start_append, unpack
from .history import merge_entries
from .kv import KVBackend
from .kvtimeline import move, new_session_keys
from .timeline import facts

__all__ = ["KVTxn", "SessionView", "CHILDREN"]

#: The index of a session's children is named this, then the parent's id.
CHILDREN = "c"


class KVTxn:
    """Reads through a write set; ``KVStore`` writes ``_writes`` at the end of its section."""

    def __init__(self, kv: KVBackend):
        self._kv = kv
        self._cache: dict[str, bytes | None] = {}
        self._writes: dict[str, bytes | None] = {}
        #: sid -> the ``timeline.Facts`` of the session as last stored (``None``: not yet);
        #: indexes, rollups and counts move from those to the new record's
        self._facts: dict = {}

    def _get_raw(self, key: str) -> bytes | None:
        if key not in self._cache:
            self._cache[key] = self._kv.get_many([key])[0]
        return self._cache[key]

    def _prefetch(self, keys) -> None:
        """Read every key of ``keys`` not read yet, in one ``get_many``."""
        missing = [key for key in dict.fromkeys(keys) if key not in self._cache]
        if missing:
            self._cache.update(zip(missing, self._kv.get_many(missing)))

    def _set_raw(self, key: str, value: bytes | None) -> None:
        self._cache[key] = value
        self._writes[key] = value

    def _append_raw(self, prefix: str, count: int, items: list) -> int:
        """Append packed ``items`` to the block stream at ``prefix``; returns the new count."""
        block, raw = None, b""
        for item in items:
            if block != count // BLOCK:
                if block is not None:
                    self._set_raw(f"{prefix}/{block}", raw)
                block = count // BLOCK
                raw = (self._get_raw(f"{prefix}/{block}") or b"") if count % BLOCK else b""
            raw += pack(item)
            count += 1
        if block is not None:
            self._set_raw(f"{prefix}/{block}", raw)
        return count

    def get_session(self, sid):
        session = unpack(self._get_raw("s/" + sid))
        if sid not in self._facts:
            self._facts[sid] = facts(session) if session else None
        return session

    def put_session(self, session):
        sid = session["id"]
        if sid not in self._facts:
            self.get_session(sid)
        was, now = self._facts[sid], facts(session)
        before, after = None if was is None else was.identity, now.identity
        if before is None:
            self._prefetch_new(session, now)
            self._index(sid, index_names(*after[1:]))
            self._bump_rollup(after[1:], None, after[0])
            if isinstance(session.get("parent_session_id"), str):
                self._index_one(CHILDREN + session["parent_session_id"], sid)
        elif before[1:] != after[1:]:  # product or version changed: move indexes and rollups
            known = unpack(self._get_raw("sx/" + sid)) or list(index_names(*before[1:]))
            added = [name for name in index_names(*after[1:]) if name not in known]
            self._index(sid, added)
            self._set_raw("sx/" + sid, pack(known + added))
            self._bump_rollup(before[1:], before[0], None)
            self._bump_rollup(after[1:], None, after[0])
        elif before[0] != after[0]:
            self._bump_rollup(after[1:], before[0], after[0])
        if before is None or before[0] != after[0]:  # entered a status: index it there
            session["status_ix"] = self._index_one("s" + after[0], sid)
        was_lost, is_lost = before is not None and before[0] == "lost", after[0] == "lost"
        if was_lost != is_lost:
            self._track_lost(sid, is_lost)
        self._count_health(session, before, after, now.hangs > 0 and not (was and was.hangs))
        move(self, sid, was, now)
        self._facts[sid] = now
        self._set_raw("s/" + sid, pack(session))

    def _prefetch_new(self, session: dict, now) -> None:
        """Read what storing a new session reads in two rounds instead of one read each:
        the counters of its indexes, its rollup, its machine's bits and its counts; then
        the partial blocks its id is appended to."""
        status, product, version = now.identity
        names = [*index_names(product, version), "s" + status]
        machine = session.get("machine_id")
        self._prefetch(["ixc/" + name for name in names] + [rollup_key(product, version)]
                       + ([machine_key(product, version, machine)]
                          if isinstance(machine, str) else [])
                       + new_session_keys(now))
        counts = ((name, unpack(self._cache["ixc/" + name], 0)) for name in names)
        self._prefetch([f"ix/{name}/{count // BLOCK}" for name, count in counts if count % BLOCK])

    def _count_health(self, session: dict, before: tuple | None, after: tuple,
                      first_hang: bool) -> None:
        """On its first hang, or a change of status, product or version: count in the
        (product, version) rollup a session that hung (``hung_sessions``) and its machine:
        seen, with a crashed session, with a session that ever hung (``machines``,
        ``crashed_machines``, ``hung_machines``); ``rm/<product>␟<version>␟<machine>`` holds
        the machine's bits there (1 seen, 2 crashed, 4 hung)."""
        if before == after and not first_hang:
            return
        machine = session.get("machine_id")
        bits = 0 if not (isinstance(machine, str) and machine) else \
            1 | (2 if after[0] == "crashed" else 0) | (4 if session.get("hang_count") else 0)
        key = machine_key(after[1], after[2], str(machine))
        was = unpack(self._get_raw(key), 0) if bits else 0
        if not first_hang and was | bits == was:
            return
        rollup = unpack(self._get_raw(rollup_key(after[1], after[2])))
        rollup["hung_sessions"] = rollup.get("hung_sessions", 0) + first_hang
        for bit, name in ((1, "machines"), (2, "crashed_machines"), (4, "hung_machines")):
            if bits & bit and not was & bit:
                rollup[name] = rollup.get(name, 0) + 1
        if was | bits != was:
            self._set_raw(key, pack(was | bits))
        self._set_raw(rollup_key(after[1], after[2]), pack(rollup))

    def _track_lost(self, sid: str, lost: bool) -> None:
        sessions = unpack(self._get_raw("lost/"), [])
        sessions = [s for s in sessions if s != sid] + ([sid] if lost else [])
        self._set_raw("lost/", pack(sessions))

    def get_daemon(self, daemon_id):
        return unpack(self._get_raw("dm/" + daemon_id))

    def put_daemon(self, record):
        self._put_peer("dm/", record)

    def delete_daemon(self, daemon_id):
        known = unpack(self._get_raw("dm/"), [])
        if daemon_id in known:
            self._set_raw("dm/", pack([d for d in known if d != daemon_id]))
        self._set_raw("dm/" + daemon_id, None)

    def put_worker(self, record):
        self._put_peer("wk/", record)

    def _put_peer(self, prefix: str, record: dict) -> None:
        """A liveness record under ``prefix + id``; ``prefix`` alone lists the ids."""
        known = unpack(self._get_raw(prefix), [])
        if record["id"] not in known:
            self._set_raw(prefix, pack(known + [record["id"]]))
        self._set_raw(prefix + record["id"], pack(record))

    def get_idempotent(self, sid: str, key: str, now: float) -> dict | None:
        stored = unpack(self._get_raw("ik/" + sid + SEP + key))
        if stored is None or not now - IDEMPOTENCY_TTL <= stored["ts"]:
            return None
        return stored["answer"]

    def put_idempotent(self, sid: str, key: str, answer: dict, now: float) -> None:
        """Also files the key under its hour (``ikh/<hour>/<block>``, count ``ikc/<hour>``;
        ``ikh/`` lists the hours) and deletes the keys of every hour wholly expired."""
        name = sid + SEP + key
        hour, hours = int(now // 3600), unpack(self._get_raw("ikh/"), [])
        kept = [h for h in hours if (h + 1) * 3600 >= now - IDEMPOTENCY_TTL]
        for old in hours:
            if old not in kept:
                self._drop_hour(old, now)
        if hour not in kept:
            kept.append(hour)
        if kept != hours:
            self._set_raw("ikh/", pack(kept))
        count = unpack(self._get_raw(f"ikc/{hour}"), 0)
        self._set_raw(f"ikc/{hour}", pack(self._append_raw(f"ikh/{hour}", count, [name])))
        self._set_raw("ik/" + name, pack({"ts": now, "answer": answer}))

    def _drop_hour(self, hour: int, now: float) -> None:
        """Delete the expired keys filed under ``hour`` (one put again since stays) and the filing."""
        blocks = [f"ikh/{hour}/{b}" for b in
                  range((unpack(self._get_raw(f"ikc/{hour}"), 0) + BLOCK - 1) // BLOCK)]
        keys = ["ik/" + name for block in blocks for name in iter_items(self._get_raw(block) or b"")]
        missing = [k for k in keys if k not in self._cache]
        fetched = dict(zip(missing, self._kv.get_many(missing)))
        for name in keys:
            stored = unpack(self._cache[name] if name in self._cache else fetched[name])
            if stored is not None and stored["ts"] < now - IDEMPOTENCY_TTL:
                self._set_raw(name, None)
        for block in blocks:
            self._set_raw(block, None)
        self._set_raw(f"ikc/{hour}", None)

    def note_issues(self, sid: str, hits: list[list]) -> None:
        """Fold each hit into ``is/<fp>`` (``is/`` lists the fingerprints). ``isx/<fp>␟<sid>``
        holds ``[last seq counted, scopes seen]`` of that session, ``ism/<fp>␟<machine>``
        the scopes that machine was seen in; ``ix/i<fp>`` lists the issue's sessions.
        Each record is read and written once per call, however many hits it has."""
        touched: dict[str, bytes | None] = {}  # key -> its value, written at the end
        values: dict[str, object] = {}

        def get(key: str, default=None):
            if key not in values:
                values[key] = unpack(self._get_raw(key), default)
            return values[key]

        for hit in hits:
            issue, seq, machine = hit[0], hit[1], hit[5]
            mark_key = "isx/" + issue + SEP + sid
            last, seen = get(mark_key) or [-1, []]
            if seq <= last:
                continue
            record = get("is/" + issue)
            if record is None:
                values["is/" + issue] = record = new_record(hit)
                values["is/"] = get("is/", []) + [issue]
                touched["is/"] = None
            if not seen:
                self._index_one("i" + issue, sid)
            hit_scopes = scopes(hit[3], hit[4])
            new_session = {scope for scope in hit_scopes if scope not in seen}
            new_machine = set()
            if machine:
                machine_key = "ism/" + issue + SEP + machine
                known = get(machine_key, [])
                new_machine = {scope for scope in hit_scopes if scope not in known}
                if new_machine:
                    values[machine_key] = known + sorted(new_machine)
                    touched[machine_key] = None
            fold(record, hit, sid, new_session, new_machine)
            values[mark_key] = [seq, seen + sorted(new_session)]
            touched[mark_key] = touched["is/" + issue] = None
        for key in touched:
            self._set_raw(key, pack(values[key]))

    def _index(self, sid: str, names) -> None:
        for name in names:
            self._index_one(name, sid)

    def _index_one(self, name: str, sid: str) -> int:
        """Append ``sid`` to index ``name``; returns its position there."""
        count = unpack(self._get_raw("ixc/" + name), 0)
        self._set_raw("ixc/" + name, pack(self._append_raw("ix/" + name, count, [sid])))
        return count

    def _bump_rollup(self, pair: tuple, old: str | None, new: str | None) -> None:
        """Move one session of ``pair`` from status ``old`` to ``new`` (``None``: in or out)."""
        key = rollup_key(*pair)
        rollup = unpack(self._get_raw(key))
        if rollup is None:
            rollup = {"product": pair[0], "version": pair[1], "total": 0, "by_status": {}}
            known = unpack(self._get_raw("r/"), [])
            self._set_raw("r/", pack(known + [list(pair)]))
        by_status = rollup["by_status"]
        if old is None:
            rollup["total"] += 1
        else:
            by_status[old] = by_status.get(old, 0) - 1
        if new is None:
            rollup["total"] -= 1
        else:
            by_status[new] = by_status.get(new, 0) + 1
        self._set_raw(key, pack(rollup))

    def get_state(self, sid):
        return unpack(self._get_raw("st/" + sid), {})

    def apply_state(self, session, entries):
        sid = session["id"]
        count = session.get("history_count", 0)
        state, logged, snapshots = merge_entries(self.get_state(sid), entries, count)
        for block, snapshot in snapshots.items():
            self._set_raw(f"hs/{sid}/{block}", pack(snapshot))
        if logged:
            session["history_count"] = self._append_raw("h/" + sid, count, logged)
            self._set_raw("st/" + sid, pack(state))
        return state

    def append(self, stream, session, items):
        prefix, count_field, count = start_append(stream, session, items)
        session[count_field] = self._append_raw(f"{prefix}/{session['id']}", count, items)


class SessionView(SessionTxn):
    """One session's step inside a ``KVTxn`` (the whole batch commits together)."""

    def __init__(self, txn: KVTxn, sid: str):
        self._txn, self.sid = txn, sid

    def get_session(self):
        return self._txn.get_session(self.sid)

    def put_session(self, session):
        self._txn.put_session(session)

    def get_state(self):
        return self._txn.get_state(self.sid)

    def apply_state(self, session, entries):
        return self._txn.apply_state(session, entries)

    def append(self, stream, session, items):
        self._txn.append(stream, session, items)

    def get_idempotent(self, key, now):
        return self._txn.get_idempotent(self.sid, key, now)

    def put_idempotent(self, key, answer, now):
        self._txn.put_idempotent(self.sid, key, answer, now)

    def note_issues(self, hits):
        self._txn.note_issues(self.sid, hits)

