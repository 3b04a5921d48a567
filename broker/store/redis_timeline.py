"""The time-based reads on Redis (``timeline.py``), from the sets ``redis_index.py`` keeps.

Every answer is a fixed number of pipelined round trips: counts cost one ``ZCOUNT`` per
bucket, pair and status, run server-side by ``COUNTS_SCRIPT`` (one call per sorted set,
so valid on Cluster), never a walk over sessions.
"""

from __future__ import annotations

from .base import STATUSES
from .codec import SEP, unpack
from .redis_index import machines_key
from .redis_txn import session_keys
from .timeline import bucket_starts

__all__ = ["read_counts", "read_extras", "read_incidents", "pairs", "COUNTS_SCRIPT",
           "MACHINES_SCRIPT"]

#: KEYS: HyperLogLogs (one slot). Their counts.
MACHINES_SCRIPT = """
local out = {}
for i = 1, #KEYS do out[i] = redis.call('PFCOUNT', KEYS[i]) end
return out
"""

#: KEYS: one sorted set; ARGV: bucket bounds b1 < b2 < ... < bn. The members scored in
#: each ``[b(i), b(i+1))``.
COUNTS_SCRIPT = """
local out = {}
for i = 1, #ARGV - 1 do
  out[i] = redis.call('ZCOUNT', KEYS[1], ARGV[i], '(' .. ARGV[i + 1])
end
return out
"""


def pairs(client, prefix: str) -> list[tuple[str, str]]:
    """Every (product, version) stored, sorted."""
    return sorted(tuple(unpack(raw)) for raw in client.smembers(prefix + "pairs"))


def read_counts(client, shas: tuple[str, str], prefix: str, bucket: int, since: float,
                until: float, product: str | None, version: str | None) -> list[dict]:
    """``Store.session_counts``: each pair's per-status, hung and episode sets counted over
    every bucket by ``COUNTS_SCRIPT``, one call per set, and its machines by
    ``MACHINES_SCRIPT``, one call per pair (``shas``: theirs), in one pipeline."""
    starts = bucket_starts(bucket, since, until)
    chosen = [(p, v) for p, v in pairs(client, prefix)
              if (product is None or p == product) and (version is None or v == version)]
    keys = [[f"{prefix}ix:c:{p}{SEP}{v}{SEP}{status}" for status in STATUSES]
            + [f"{prefix}hx:{p}{SEP}{v}", f"{prefix}ep:{p}{SEP}{v}"] for p, v in chosen]
    bounds = [*starts, starts[-1] + bucket]
    pipe = client.pipeline(transaction=False)
    for pair_keys in keys:
        for key in pair_keys:
            pipe.evalsha(shas[0], 1, key, *bounds)
    for p, v in chosen:
        machines = [machines_key(prefix, p + SEP + v, bucket, start) for start in starts]
        pipe.evalsha(shas[1], len(machines), *machines)
    counted = pipe.execute() if chosen else []  # per set: a count per bucket
    width = len(STATUSES) + 2
    machines = counted[len(chosen) * width:]
    rows = []
    for n, start in enumerate(starts):
        for k, (p, v) in enumerate(chosen):
            *by_status, hung, episodes = (counted[k * width + j][n] for j in range(width))
            if any(by_status):
                rows.append({"at": float(start), "product": p, "version": v,
                             "by_status": {s: n for s, n in zip(STATUSES, by_status) if n},
                             "hung": hung, "episodes": episodes, "machines": machines[k][n]})
    return rows


def read_extras(client, prefix: str, chosen: list[tuple[str, str]]) -> list[dict]:
    """``first_seen``, ``hang_episodes`` and ``median_duration`` of each pair, in order
    (two round trips: the sizes, then the median's rank in each duration set)."""
    names = [p + SEP + v for p, v in chosen]
    pipe = client.pipeline(transaction=False)
    for name in names:
        pipe.zscore(prefix + "first", name).zcard(prefix + "ep:" + name) \
            .zcard(prefix + "dur:" + name)
    sizes = pipe.execute() if names else []
    for n, name in enumerate(names):
        ended = sizes[3 * n + 2]
        if ended:
            pipe.zrange(prefix + "dur:" + name, (ended - 1) // 2, (ended - 1) // 2, withscores=True)
    medians = iter(pipe.execute() if any(sizes[2::3]) else [])
    return [{"first_seen": sizes[3 * n], "hang_episodes": sizes[3 * n + 1],
             "median_duration": next(medians)[0][1] if sizes[3 * n + 2] else None}
            for n in range(len(names))]


def read_incidents(client, prefix: str, limit: int, since: float | None,
                   until: float | None) -> list[dict]:
    """``Store.incidents``: the top of ``ix:inc`` within the range, with the records."""
    if limit < 1:
        return []
    found = client.zrange(prefix + "ix:inc", "+inf" if until is None else until,
                          "-inf" if since is None else since, desc=True, byscore=True,
                          withscores=True, offset=0, num=limit)
    pipe = client.pipeline(transaction=False)
    for member, _ in found:
        pipe.hget(session_keys(prefix, member.decode())[0], "r")
    records = pipe.execute() if found else []
    return [{"at": at, "session": unpack(raw)} for (_, at), raw in zip(found, records)
            if raw is not None]
