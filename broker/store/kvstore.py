"""``KVStore``: the record layout and queries of every key-value backed store.

Keys (``\\x1f`` separates user-supplied parts):

- ``s/<sid>`` session record, ``st/<sid>`` current state, ``d/<daemon_id>`` last applied seq
- ``e/<sid>/<n>``, ``m/<sid>/<n>``, ``h/<sid>/<n>``: blocks of ``BLOCK`` events, metric points,
  state patches, each block a concatenation of msgpack items (appending never decodes)
- ``hs/<sid>/<n>``: state snapshot before history block ``n`` (cheap ``state_at``)
- ``ix/<index>/<n>`` blocks of session ids in arrival order, ``ixc/<index>`` their count,
  for the indexes ``all``, ``p<product>``, ``v<product>\\x1f<version>``; ``sx/<sid>`` the
  indexes a session was added to, written only once its product or version changed (the
  entries it left behind stay and are filtered out at query time)
- ``r/<product>\\x1f<version>`` status rollups, ``r/`` the list of known (product, version)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import msgpack

from datacat.merge import deep_merge, diff

from ..errors import DuplicateBatch
from .base import Page, SessionQuery, Store, StoreTxn
from .kv import KVBackend

__all__ = ["KVStore", "BLOCK"]

BLOCK = 256
SEP = "\x1f"
_STREAMS = {"events": ("e", "event_count"), "metrics": ("m", "metric_count"),
            "history": ("h", "history_count")}
_SCAN_CHUNK = 256


def _pack(value) -> bytes:
    return msgpack.packb(value, use_bin_type=True)


def _unpack(data: bytes | None, default=None):
    return default if data is None else msgpack.unpackb(data, raw=False, strict_map_key=False)


def _iter_items(data: bytes) -> Iterator:
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False, max_buffer_size=len(data) + 1)
    unpacker.feed(data)
    yield from unpacker


def _index_names(product: str, version: str) -> tuple[str, ...]:
    return ("all", "p" + product, "v" + product + SEP + version)


class _KVTxn(StoreTxn):
    """Reads through a write set; everything is written by ``commit``."""

    def __init__(self, kv: KVBackend):
        self._kv = kv
        self._cache: dict[str, bytes | None] = {}
        self._writes: dict[str, bytes | None] = {}
        #: sid -> (status, product, version) as committed before this transaction (or None)
        self._first: dict[str, tuple | None] = {}

    def _get_raw(self, key: str) -> bytes | None:
        if key not in self._cache:
            self._cache[key] = self._kv.get_many([key])[0]
        return self._cache[key]

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
            raw += _pack(item)
            count += 1
        if block is not None:
            self._set_raw(f"{prefix}/{block}", raw)
        return count

    def get_session(self, sid):
        session = _unpack(self._get_raw("s/" + sid))
        if sid not in self._first:
            self._first[sid] = _identity(session) if session else None
        return session

    def put_session(self, session):
        sid = session["id"]
        if sid not in self._first:
            self.get_session(sid)
        before, after = self._first[sid], _identity(session)
        if before is None:
            self._index(sid, _index_names(*after[1:]))
            self._bump_rollup(after[1:], None, after[0])
        elif before[1:] != after[1:]:  # product or version changed: move indexes and rollups
            known = _unpack(self._get_raw("sx/" + sid)) or list(_index_names(*before[1:]))
            added = [name for name in _index_names(*after[1:]) if name not in known]
            self._index(sid, added)
            self._set_raw("sx/" + sid, _pack(known + added))
            self._bump_rollup(before[1:], before[0], None)
            self._bump_rollup(after[1:], None, after[0])
        elif before[0] != after[0]:
            self._bump_rollup(after[1:], before[0], after[0])
        self._first[sid] = after
        self._set_raw("s/" + sid, _pack(session))

    def _index(self, sid: str, names) -> None:
        for name in names:
            count = _unpack(self._get_raw("ixc/" + name), 0)
            self._set_raw("ixc/" + name, _pack(self._append_raw("ix/" + name, count, [sid])))

    def _bump_rollup(self, pair: tuple, old: str | None, new: str | None) -> None:
        """Move one session of ``pair`` from status ``old`` to ``new`` (``None``: in or out)."""
        key = "r/" + pair[0] + SEP + pair[1]
        rollup = _unpack(self._get_raw(key))
        if rollup is None:
            rollup = {"product": pair[0], "version": pair[1], "total": 0, "by_status": {}}
            known = _unpack(self._get_raw("r/"), [])
            self._set_raw("r/", _pack(known + [list(pair)]))
        by_status = rollup["by_status"]
        if old is None:
            rollup["total"] += 1
        else:
            by_status[old] = by_status.get(old, 0) - 1
        if new is None:
            rollup["total"] -= 1
        else:
            by_status[new] = by_status.get(new, 0) + 1
        self._set_raw(key, _pack(rollup))

    def get_state(self, sid):
        return _unpack(self._get_raw("st/" + sid), {})

    def apply_state(self, session, entries):
        sid = session["id"]
        state = self.get_state(sid)
        count = session.get("history_count", 0)
        logged = []
        for entry in entries:
            merged = deep_merge(state, entry["patch"])
            if not diff(state, merged):  # a no-op (``==`` would also call 1 -> True one)
                continue
            if (count + len(logged)) % BLOCK == 0:
                self._set_raw(f"hs/{sid}/{(count + len(logged)) // BLOCK}", _pack(state))
            logged.append(entry)
            state = merged
        if logged:
            session["history_count"] = self._append_raw("h/" + sid, count, logged)
            self._set_raw("st/" + sid, _pack(state))
        return state

    def append(self, stream, session, items):
        prefix, count_field = _STREAMS[stream]
        count = session.get(count_field, 0)
        if stream == "events":
            for offset, item in enumerate(items):
                item["seq"] = count + offset
        session[count_field] = self._append_raw(f"{prefix}/{session['id']}", count, items)


class KVStore(Store):
    """Every query and layout, over a ``KVBackend`` supplied by the subclass."""

    def __init__(self, kv: KVBackend):
        self._kv = kv

    @contextmanager
    def transaction(self, dedup=None):
        with self._kv.exclusive():
            txn = _KVTxn(self._kv)
            if dedup is not None:
                daemon_id, seq = dedup
                last = _unpack(txn._get_raw("d/" + daemon_id), -1)
                if seq <= last:
                    raise DuplicateBatch(f"{daemon_id}#{seq}")
                txn._set_raw("d/" + daemon_id, _pack(seq))
            yield txn
            if txn._writes:
                self._kv.write_many(txn._writes)

    def _get(self, key: str, default=None):
        return _unpack(self._kv.get_many([key])[0], default)

    def get_session(self, sid):
        return self._get("s/" + sid)

    def get_state(self, sid):
        return self._get("st/" + sid, {})

    def read(self, stream, sid, start=0, limit=100):
        prefix, count_field = _STREAMS[stream]
        session = self.get_session(sid)
        if session is None or limit <= 0:
            return []
        start = max(start, 0)
        end = min(session.get(count_field, 0), start + limit)
        if start >= end:
            return []
        blocks = range(start // BLOCK, (end - 1) // BLOCK + 1)
        raws = self._kv.get_many([f"{prefix}/{sid}/{b}" for b in blocks])
        items = []
        for block, raw in zip(blocks, raws):
            base = block * BLOCK
            items.extend(item for i, item in enumerate(_iter_items(raw or b""))
                         if start <= base + i < end)
        return items

    def state_at(self, sid, ts):
        session = self.get_session(sid)
        count = session.get("history_count", 0) if session else 0
        if count == 0:
            return {}
        blocks = (count - 1) // BLOCK + 1
        lo, hi = 0, blocks - 1  # find the last block whose first patch is at or before ts
        while lo < hi:
            mid = (lo + hi + 1) // 2
            first = next(_iter_items(self._kv.get_many([f"h/{sid}/{mid}"])[0] or b""), None)
            if first is not None and first["ts"] <= ts:
                lo = mid
            else:
                hi = mid - 1
        snapshot_raw, block_raw = self._kv.get_many([f"hs/{sid}/{lo}", f"h/{sid}/{lo}"])
        state = _unpack(snapshot_raw, {})
        for entry in _iter_items(block_raw or b""):
            if entry["ts"] > ts:
                break
            state = deep_merge(state, entry["patch"])
        return state

    def _index_ids(self, name: str, end: int) -> list[str]:
        """Up to ``_SCAN_CHUNK`` session ids of index ``name`` before position ``end``, newest first."""
        start = max(0, end - _SCAN_CHUNK)
        blocks = range(start // BLOCK, (end - 1) // BLOCK + 1)
        raws = self._kv.get_many([f"ix/{name}/{b}" for b in blocks])
        ids = []
        for raw in raws:
            ids.extend(_iter_items(raw or b""))
        first = blocks[0] * BLOCK
        return ids[start - first:end - first][::-1]

    def list_sessions(self, query: SessionQuery) -> Page:
        if query.product is not None and query.version is not None:
            name = "v" + query.product + SEP + query.version
        elif query.product is not None:
            name = "p" + query.product
        else:
            name = "all"
        if query.limit < 1:
            raise ValueError(f"list_sessions needs a limit of at least 1, not {query.limit}")
        count = self._get("ixc/" + name, 0)
        try:  # a cursor is a position in the index; never past its end (no repeats)
            position = min(int(query.cursor), count) if query.cursor else count
        except ValueError:
            raise ValueError(f"not a session cursor: {query.cursor!r}") from None
        items: list[dict] = []
        while position > 0 and len(items) < query.limit:
            ids = self._index_ids(name, position)
            sessions = self._kv.get_many(["s/" + sid for sid in ids])
            for raw in sessions:
                position -= 1
                session = _unpack(raw)
                if session is not None and _matches(session, query):
                    items.append(session)
                    if len(items) == query.limit:
                        break
        return Page(items, str(position) if position > 0 else None)

    def products(self):
        pairs = self._get("r/", [])
        raws = self._kv.get_many(["r/" + p + SEP + v for p, v in pairs])
        return [_unpack(raw) for raw in raws if raw is not None]

    def close(self):
        self._kv.close()


def _identity(session: dict) -> tuple:
    return session["status"], session["product"], session["version"]


def _matches(session: dict, query: SessionQuery) -> bool:
    # product too: an index may still hold a session whose product changed since
    if query.product is not None and session["product"] != query.product:
        return False
    if query.version is not None and session["version"] != query.version:
        return False
    if query.status is not None and session["status"] != query.status:
        return False
    created = session["created_at"]
    if query.since is not None and created < query.since:
        return False
    return query.until is None or created <= query.until
