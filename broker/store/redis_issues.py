"""Issues on Redis: a session's hits counted by one script call per issue, in its slot, idempotently.

Keys (after the prefix; ``{fp}`` is a hash tag, so an issue's keys share a slot):

- ``is:{fp}`` hash: ``t`` type, ``g`` message, and per scope (``""`` all, a product, a
  product␟version) ``n:<scope>`` count, ``s:<scope>`` sessions, ``m:<scope>`` machines,
  ``f:<scope>``, ``l:<scope>`` first and last seen
- ``is:{fp}:x`` hash: session id -> the last event seq of that session counted
- ``is:{fp}:u`` set: ``s␟<scope>␟<sid>`` and ``m␟<scope>␟<machine>`` already counted
- ``is:{fp}:s`` list: session ids in the order first seen; ``is:{fp}:e`` list: the sample
  events ``<sid>␟<seq>``
- ``issues`` set: every fingerprint

A hit whose seq is at or below its session's last counted seq changes nothing, so filing a
session's pending hits again (a worker died before clearing them) counts nothing twice.
"""

from __future__ import annotations

import msgpack

from ..issues import SAMPLES, issue_out, scopes

__all__ = ["ISSUE_SCRIPT", "READ_SCRIPT", "file_hits", "read_issues", "issue_keys"]

#: KEYS: issue hash, last seq per session, counted units, sessions, samples.
#: ARGV: sid, machine ("" if none), type, message, samples kept, the number of scopes, the
#: scopes, then (seq, ts) of each hit, seqs ascending.
ISSUE_SCRIPT = """
local sid, machine, nscopes = ARGV[1], ARGV[2], tonumber(ARGV[6])
local last = redis.call('HGET', KEYS[2], sid)
local top, counted = tonumber(last or '-1'), 0
for k = 7 + nscopes, #ARGV, 2 do
  local seq = tonumber(ARGV[k])
  if seq > top then
    top, counted = seq, counted + 1
    local stamp = ARGV[k + 1]
    local ts = tonumber(stamp)
    for j = 7, 6 + nscopes do
      local scope = ARGV[j]
      redis.call('HINCRBY', KEYS[1], 'n:' .. scope, 1)
      if redis.call('SADD', KEYS[3], 's\\31' .. scope .. '\\31' .. sid) == 1 then
        redis.call('HINCRBY', KEYS[1], 's:' .. scope, 1)
      end
      if machine ~= '' and redis.call('SADD', KEYS[3], 'm\\31' .. scope .. '\\31' .. machine) == 1 then
        redis.call('HINCRBY', KEYS[1], 'm:' .. scope, 1)
      end
      local first = redis.call('HGET', KEYS[1], 'f:' .. scope)
      if not first or ts < tonumber(first) then redis.call('HSET', KEYS[1], 'f:' .. scope, stamp) end
      local latest = redis.call('HGET', KEYS[1], 'l:' .. scope)
      if not latest or ts > tonumber(latest) then redis.call('HSET', KEYS[1], 'l:' .. scope, stamp) end
    end
    if redis.call('LLEN', KEYS[5]) < tonumber(ARGV[5]) then
      redis.call('RPUSH', KEYS[5], sid .. '\\31' .. ARGV[k])
    end
  end
end
if counted == 0 then return 0 end
if not last then redis.call('RPUSH', KEYS[4], sid) end
redis.call('HSET', KEYS[2], sid, top)
redis.call('HSETNX', KEYS[1], 't', ARGV[3])
redis.call('HSETNX', KEYS[1], 'g', ARGV[4])
return counted
"""

#: KEYS: issue hash, samples. Both, packed as one msgpack array (one reply to parse).
READ_SCRIPT = """
return cmsgpack.pack({redis.call('HGETALL', KEYS[1]), redis.call('LRANGE', KEYS[2], 0, -1)})
"""

_FIELDS = {"n": "count", "s": "sessions", "m": "machines", "f": "first_seen", "l": "last_seen"}


def issue_keys(prefix: str, fingerprint: str) -> list[str]:
    """Hash, last seqs, units, sessions, samples: all in the slot of ``{fingerprint}``."""
    base = f"{prefix}is:{{{fingerprint}}}"
    return [base, base + ":x", base + ":u", base + ":s", base + ":e"]


def file_hits(pipe, script: str, prefix: str, sid: str, hits: list[list]) -> None:
    """Queue the commands that count ``hits`` of session ``sid`` (each idempotent): one
    script call per issue, or per run of its hits with one product, version and machine
    (its seqs ascending: a seq at or below the last counted is skipped)."""
    runs: list[list[list]] = []
    by_issue: dict[str, list[list]] = {}
    for hit in hits:
        run = by_issue.get(hit[0])
        if run is None or run[-1][3:6] != hit[3:6]:
            run = by_issue[hit[0]] = []
            runs.append(run)
        run.append(hit)
    for group in runs:
        issue, product, version, machine = group[0][0], group[0][3], group[0][4], group[0][5]
        where = scopes(product, version)
        pairs = [value for hit in group for value in (hit[1], repr(float(hit[2])))]
        pipe.evalsha(script, 5, *issue_keys(prefix, issue), sid, machine or "", group[0][6],
                     group[0][7], SAMPLES, len(where), *where, *pairs)
        pipe.sadd(prefix + "issues", issue)


def read_issues(client, script: str, prefix: str, fingerprints: list[str]
                ) -> list[dict | None]:
    """The issues of ``fingerprints`` as ``Store.issue`` returns them (``None``: unknown);
    ``script`` is ``READ_SCRIPT``'s sha: one packed answer per issue."""
    pipe = client.pipeline(transaction=False)
    for issue in fingerprints:
        keys = issue_keys(prefix, issue)
        pipe.evalsha(script, 2, keys[0], keys[4])
    issues = []
    for issue, packed in zip(fingerprints, pipe.execute() if fingerprints else []):
        flat, samples = msgpack.unpackb(packed, raw=False)
        fields = dict(zip(flat[::2], flat[1::2]))
        if not fields:
            issues.append(None)
            continue
        record = {"fingerprint": issue, "type": fields.pop("t", ""),
                  "message": fields.pop("g", ""), "scopes": {}, "samples": []}
        for field, value in fields.items():
            row = record["scopes"].setdefault(field[2:], {})
            row[_FIELDS[field[0]]] = float(value) if field[0] in "fl" else int(value)
        for sample in samples:
            sid, _, seq = sample.rpartition("\x1f")
            record["samples"].append([sid, int(seq)])
        issues.append(issue_out(record))
    return issues
