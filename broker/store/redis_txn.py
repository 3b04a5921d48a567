"""One session's step on Redis: read once, change in Python, write with one compare-and-set.

The write is ``CAS_SCRIPT``, run on the session's slot (its keys share the ``{sid}`` hash
tag): it checks that the session's version is the one read, then writes the record, the
state, the appended stream items, the history snapshots and the dedup mark, and bumps the
version. A step whose session changed meanwhile is run again on fresh data.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable

from .base import IDEMPOTENCY_TTL, SessionTxn
from .codec import pack, start_append, unpack
from .history import merge_entries
from .timeline import facts

__all__ = ["RedisSessionTxn", "CAS_SCRIPT", "session_keys", "idempotency_key"]

#: KEYS: session hash, events, metrics, history, snapshots, an idempotency key's answer.
#: ARGV: version read, record, index note, dedup field ("" for none), seq, state ("" if
#: unchanged), the new version if the session's indexes are due ("" if not), the items to
#: append to each of the three lists (one string each: every item preceded by its length,
#: 4 bytes big-endian), the idempotency answer ("" for none) and its time to live in
#: seconds, then snapshot (field, value) pairs.
CAS_SCRIPT = """
local v = redis.call('HGET', KEYS[1], 'v')
if (v or '') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'r', ARGV[2], 'x', ARGV[3], 'v', (tonumber(v) or 0) + 1)
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], ARGV[4], ARGV[5]) end
if ARGV[6] ~= '' then redis.call('HSET', KEYS[1], 's', ARGV[6]) end
if ARGV[7] ~= '' then redis.call('HSET', KEYS[1], 'i', ARGV[7]) end
for k = 2, 4 do
  local blob, items, pos = ARGV[k + 6], {}, 1
  while pos <= #blob do
    local size
    size, pos = struct.unpack('>I4', blob, pos)
    items[#items + 1] = string.sub(blob, pos, pos + size - 1)
    pos = pos + size
    if #items == 1000 or pos > #blob then
      redis.call('RPUSH', KEYS[k], unpack(items))
      items = {}
    end
  end
end
if ARGV[11] ~= '' then redis.call('SET', KEYS[6], ARGV[11], 'EX', ARGV[12]) end
if #ARGV > 12 then redis.call('HSET', KEYS[5], unpack(ARGV, 13)) end
return 1
"""

_LISTS = ("e", "m", "h")
_SIZE = struct.Struct(">I")


def _nudge(ts: float, steps: int) -> float:
    return ts + steps * math.ulp(ts)


def session_keys(prefix: str, sid: str) -> list[str]:
    """Hash, events, metrics, history, snapshots: all in the slot of the ``{sid}`` hash tag."""
    base = f"{prefix}{{{sid}}}"
    return [base, base + ":e", base + ":m", base + ":h", base + ":hs"]


def idempotency_key(prefix: str, sid: str, key: str) -> str:
    """Where an idempotency key's answer for ``sid`` lives: in the session's slot."""
    return f"{prefix}{{{sid}}}:k:{key}"


class RedisSessionTxn(SessionTxn):
    """A step over one session's values as read; ``cas_args`` are its writes."""

    def __init__(self, sid: str, record: bytes | None, note: bytes | None, state: bytes | None,
                 pending: bool = False, lookup: Callable[[str], bytes | None] = lambda key: None):
        self.sid = sid
        self._lookup = lookup  # reads an idempotency key's stored answer
        self.answer: tuple[str, bytes] | None = None  # (key, packed answer) to store
        self._record, self._state_raw = record, state
        #: [identity its indexes were last filed under, or None; time it entered its
        #: status; time first stored(; issue hits to file)]
        self.note = unpack(note) or [None, None, None]
        self.pending = pending  # its last index update did not finish
        self._state: dict | None = None
        self._state_changed = False
        self._lists: dict[str, list[bytes]] = {name: [] for name in _LISTS}
        self._snapshots: list[bytes] = []
        self.session: dict | None = None  # what put_session stored
        self.moved = False  # a new session, or its status, product or version changed
        self._hits: list[list] = []  # issue hits of this step

    def get_session(self):
        return unpack(self._record)

    def get_state(self):
        if self._state is None:
            self._state = unpack(self._state_raw, {})
        return self._state

    def apply_state(self, session, entries):
        count = session.get("history_count", 0)
        state, logged, snapshots = merge_entries(self.get_state(), entries, count)
        for block, snapshot in snapshots.items():
            self._snapshots += [str(block).encode(), pack(snapshot)]
        if logged:
            self._lists["h"] += [pack(entry) for entry in logged]
            session["history_count"] = count + len(logged)
            self._state, self._state_changed = state, True
        return state

    def append(self, stream, session, items):
        prefix, count_field, count = start_append(stream, session, items)
        self._lists[prefix] += [pack(item) for item in items]
        session[count_field] = count + len(items)

    def get_idempotent(self, key, now):
        stored = unpack(self._lookup(key))
        if stored is None or not now - IDEMPOTENCY_TTL <= stored["ts"]:
            return None
        return stored["answer"]

    def put_idempotent(self, key, answer, now):
        self.answer = (key, pack({"ts": now, "answer": answer}))

    def note_issues(self, hits):
        self._hits += hits

    def put_session(self, session):
        """Also notes the step's issue hits (``note[3]``, with those of an index update
        still pending): they are filed with the indexes, after the step (as is a new
        hang, for release health)."""
        before = self.get_session()
        self.session = session
        self.moved = self.pending or before is None or bool(self._hits) \
            or facts(before) != facts(session)  # identity, hangs, start, end, incident, machine
        pending_hits = self.note[3] if self.pending and len(self.note) > 3 else []
        if not self.pending:  # else the identity last filed is still the one noted
            self.note = [list(facts(before).identity) if before else None, self.note[1],
                         self.note[2]]
        self.note = self.note[:3] + ([pending_hits + self._hits]
                                     if pending_hits or self._hits else [])

    def stamp(self, position: int) -> None:
        """Note the index scores: when first stored, when it entered its status.

        Times come from the record (``received_at``, ``updated_at``), moved on by
        ``position`` steps of the float's resolution so a batch's sessions keep its order.
        """
        before, session = self.note[0], self.session
        if self.note[2] is None:
            self.note[2] = _nudge(session.get("received_at") or session["updated_at"], position)
        if before is None or before[0] != session["status"]:
            self.note[1] = _nudge(session["updated_at"], position)

    def cas_args(self, version: bytes | None, dedup: tuple[str, int] | None,
                 to_index: str) -> list:
        """The script's arguments; ``to_index``: the new version if its indexes are due."""
        args = [version or b"", pack(self.session), pack(self.note),
                "d:" + dedup[0] if dedup else "", dedup[1] if dedup else 0,
                pack(self._state) if self._state_changed else b"", to_index]
        for name in _LISTS:
            args.append(b"".join(_SIZE.pack(len(item)) + item for item in self._lists[name]))
        args += [self.answer[1], int(IDEMPOTENCY_TTL)] if self.answer else [b"", 0]
        return args + self._snapshots

