"""``Store.read_session`` on Redis: one script call in the session's slot (its keys share
the ``{sid}`` hash tag), so one round trip, on Cluster too, and one consistent moment."""

from __future__ import annotations

from .base import SessionRead
from .codec import BLOCK, STREAMS, unpack
from .history import replay as replayed
from .kvread import resolve
from .redis_txn import session_keys

__all__ = ["READ_SESSION_SCRIPT", "read_session"]

#: KEYS: session hash, events, metrics, history, snapshots.
#: ARGV: "1" to read the state, "1" to read the history's replay base, ``BLOCK``, then
#: (start, limit) of events, metrics and history ("" and "" for a stream not read).
#: Returns nil for an unknown session, else the record, the state (or nil), (length,
#: items) of each list (nil, nil if not read), then the snapshot and the history entries
#: the base replays (nil, nil if not read).
READ_SESSION_SCRIPT = """
local record = redis.call('HGET', KEYS[1], 'r')
if not record then return false end
local out = {record, false, false, false, false, false, false, false, false, false}
if ARGV[1] == '1' then out[2] = redis.call('HGET', KEYS[1], 's') end
local block = tonumber(ARGV[3])
for k = 1, 3 do
  local start, limit = tonumber(ARGV[2 + 2 * k]), tonumber(ARGV[3 + 2 * k])
  if start then
    local n = redis.call('LLEN', KEYS[k + 1])
    if start < 0 then start = math.max(n + start, 0) end
    out[1 + 2 * k] = n
    out[2 + 2 * k] = {}
    if limit > 0 and start < n then
      out[2 + 2 * k] = redis.call('LRANGE', KEYS[k + 1], start, math.min(start + limit, n) - 1)
      if k == 3 and ARGV[2] == '1' then
        local first = math.floor(start / block)
        out[9] = redis.call('HGET', KEYS[5], string.format('%d', first))
        out[10] = {}
        if start > first * block then
          out[10] = redis.call('LRANGE', KEYS[4], first * block, start - 1)
        end
      end
    end
  end
end
return out
"""

_LISTS = ("events", "metrics", "history")


def read_session(client, sha: str, prefix: str, sid: str,
                 streams: dict[str, tuple[int, int]] | None = None, state: bool = False,
                 replay: bool = False) -> SessionRead | None:
    """``Store.read_session``: one ``EVALSHA`` of ``READ_SESSION_SCRIPT`` (loaded as ``sha``)."""
    streams = streams or {}
    unknown = set(streams) - set(STREAMS)
    if unknown:
        raise KeyError(f"no stream {sorted(unknown)[0]!r}")
    ranges = [str(part) for stream in _LISTS for part in streams.get(stream, ("", ""))]
    reply = client.evalsha(sha, 5, *session_keys(prefix, sid), "1" if state else "",
                           "1" if replay else "", BLOCK, *ranges)
    if not reply:
        return None
    found = SessionRead(unpack(reply[0]), unpack(reply[1], {}) if state else None)
    for n, stream in enumerate(_LISTS):
        if stream in streams:
            start, _ = resolve(*streams[stream], reply[2 + 2 * n])
            found.streams[stream] = (start, [unpack(raw) for raw in reply[3 + 2 * n]])
    if replay and found.streams.get("history", (0, []))[1]:
        found.base = replayed(unpack(reply[8], {}), map(unpack, reply[9]))
    return found
