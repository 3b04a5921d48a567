"""Session indexes and rollups on Redis: sorted sets kept from each session's record.

- ``ix:all``, ``ix:p:<product>``, ``ix:v:<product>␟<version>``: session ids scored by when
  the session was first stored;
- ``ix:s:<status>``, ``ix:vs:<product>␟<version>␟<status>``: scored by when it entered
  that status (a session is in the set of its current status only);
- ``pairs``: every (product, version) seen. A rollup is the cardinality of those sets;
- ``hx:<product>␟<version>``: its sessions that ever hung; ``mx:``, ``mxc:``, ``mxh:`` +
  ``<product>␟<version>``: the machine ids of its sessions, of its crashed sessions, of its
  sessions that ever hung.

The time-based counts (``timeline.py``), by ``created_at`` unless said otherwise:

- ``ix:c:<product>␟<version>␟<status>``: its sessions in that status (``ZCOUNT`` per bucket);
  ``hx:`` above is scored the same way, and ``ep:<product>␟<version>`` holds one member
  ``<sid>␟<n>`` per hang episode;
- ``dur:<product>␟<version>``: its ended sessions scored by duration (the median's rank);
- ``first``: each (product, version) scored by its earliest ``created_at`` (``ZADD LT``);
- ``ix:h``: sessions that ever hung, by their first hang; ``ix:inc``: sessions by their
  latest incident (``timeline.incident_time``);
- ``hm:{<pair tag>}:<bucket>:<start>``: a HyperLogLog of the machines that started a
  session of the pair in that hour or day (``machines_key``; one slot per pair).

Every operation is idempotent (``ZADD`` of a fixed score, ``ZREM``, ``SADD``), so indexing
a session again from its record changes nothing: a replayed part re-indexes safely.
"""

from __future__ import annotations

import hashlib

from .base import STATUSES, SessionQuery
from .codec import SEP, pack
from .timeline import BUCKETS, Facts, facts

__all__ = ["index_session", "walk_key", "rollup_keys", "health_keys", "children_key",
           "unfile_pair", "machines_key"]


def _pair(product: str, version: str) -> str:
    return product + SEP + version


def children_key(prefix: str, parent: str) -> str:
    """The sorted set of a session's children, in the parent's slot."""
    return f"{prefix}{{{parent}}}:ch"


def index_session(pipe, prefix: str, sid: str, session: dict, note: list) -> None:
    """Queue the index and rollup commands that file ``session`` under its current identity.

    ``note`` is ``[identity before its last step, status entered at, first stored at]``
    (then the issue hits, filed by ``redis_issues``); entries under the identity before
    are removed.
    """
    status, product, version = session["status"], session["product"], session["version"]
    before, status_at, first_at = note[:3]
    ix, pair = prefix + "ix:", _pair(product, version)
    for key in (ix + "all", ix + "p:" + product, ix + "v:" + pair):
        pipe.zadd(key, {sid: first_at}, nx=True)
    pipe.zadd(ix + "s:" + status, {sid: status_at})
    pipe.zadd(ix + "vs:" + pair + SEP + status, {sid: status_at})
    pipe.sadd(prefix + "pairs", pack([product, version]))
    parent = session.get("parent_session_id")
    if isinstance(parent, str):
        pipe.zadd(children_key(prefix, parent), {sid: first_at}, nx=True)
    machine, hung = session.get("machine_id"), (session.get("hang_count") or 0) > 0
    _file_timeline(pipe, prefix, sid, pair, facts(session))
    if machine and isinstance(machine, str):
        pipe.sadd(prefix + "mx:" + pair, machine)
        if status == "crashed":
            pipe.sadd(prefix + "mxc:" + pair, machine)
        if hung:
            pipe.sadd(prefix + "mxh:" + pair, machine)
    if before is None:
        return
    old_status, old_product, old_version = before
    old_pair = _pair(old_product, old_version)
    if old_status != status:
        pipe.zrem(ix + "s:" + old_status, sid)
    if (old_status, old_pair) != (status, pair):
        pipe.zrem(ix + "vs:" + old_pair + SEP + old_status, sid)
        pipe.zrem(ix + "c:" + old_pair + SEP + old_status, sid)
    if old_pair != pair:
        unfile_pair(pipe, prefix, sid, old_pair, session)
    if old_product != product:
        pipe.zrem(ix + "p:" + old_product, sid)
    if old_pair != pair:
        pipe.zrem(ix + "v:" + old_pair, sid)


def machines_key(prefix: str, pair: str, bucket: int, start: int) -> str:
    """The HyperLogLog of a pair's machines in one bucket; every bucket of a pair shares
    a slot (the tag is a digest: a product name may hold braces)."""
    tag = hashlib.blake2b(pair.encode(), digest_size=8).hexdigest()
    return f"{prefix}hm:{{{tag}}}:{bucket}:{start}"


def _file_timeline(pipe, prefix: str, sid: str, pair: str, facts: Facts) -> None:
    created = facts.created
    if facts.machine:
        for bucket in BUCKETS:
            start = int(created // bucket) * bucket
            pipe.pfadd(machines_key(prefix, pair, bucket, start), facts.machine)
    pipe.zadd(f"{prefix}ix:c:{pair}{SEP}{facts.status}", {sid: created})
    pipe.zadd(prefix + "first", {pair: created}, lt=True)
    if facts.hangs:
        pipe.zadd(prefix + "hx:" + pair, {sid: created})
        pipe.zadd(prefix + "ep:" + pair, {f"{sid}{SEP}{n}": created for n in range(facts.hangs)})
        pipe.zadd(prefix + "ix:h", {sid: facts.first_hang or created})
    if facts.duration is not None:
        pipe.zadd(prefix + "dur:" + pair, {sid: facts.duration})
    if facts.incident is not None:
        pipe.zadd(prefix + "ix:inc", {sid: facts.incident})


def unfile_pair(pipe, prefix: str, sid: str, pair: str, session: dict) -> None:
    """Queue the removal of ``sid`` from the per-pair time-based sets of ``pair``."""
    pipe.zrem(prefix + "hx:" + pair, sid)
    pipe.zrem(prefix + "dur:" + pair, sid)
    hangs = facts(session).hangs
    if hangs:
        pipe.zrem(prefix + "ep:" + pair, *[f"{sid}{SEP}{n}" for n in range(hangs)])


def walk_key(prefix: str, query: SessionQuery) -> str:
    """The set a listing walks: the status's, else the product and version's, else all."""
    if query.status is not None:
        return f"{prefix}ix:s:{query.status}"
    if query.ever_hung:
        return f"{prefix}ix:h"
    if query.product is not None and query.version is not None:
        return f"{prefix}ix:v:{_pair(query.product, query.version)}"
    if query.product is not None:
        return f"{prefix}ix:p:{query.product}"
    return f"{prefix}ix:all"


def rollup_keys(prefix: str, product: str, version: str) -> list[str]:
    """The sets whose cardinalities are a rollup: the pair's sessions, then one per status."""
    pair = _pair(product, version)
    return [f"{prefix}ix:v:{pair}"] + [f"{prefix}ix:vs:{pair}{SEP}{s}" for s in STATUSES]


def health_keys(prefix: str, product: str, version: str) -> list[str]:
    """The sets whose cardinalities are the pair's ``HEALTH`` counts, in that order."""
    pair = _pair(product, version)
    return [f"{prefix}{name}:{pair}" for name in ("hx", "mx", "mxc", "mxh")]
