"""Retention on Redis: delete the sessions first stored before a time.

``ix:all`` and ``ix:p:<product>`` are scored by when a session was first stored, so a pass
reads the oldest ids below the cutoff (``ZRANGE … BYSCORE``), then per session:

1. its entries in the sets that depend on its record (product and version, status,
   hung, its parent's children) are removed, idempotently;
2. its own keys (hash, streams, history, snapshots, children) go in one script call in its
   slot, only if its version is still the one read, so of several workers deleting it
   only one counts it;
3. last it leaves ``ix:all`` and ``ix:p:<product>``: a session written between the read
   and step 2, or a pass cut short after step 1 or 2, is found again there by the next
   pass, and an id whose record is gone is only removed from the set walked and ``ix:all``
   (the workers walk every product's set, so a per-product id left over goes at the next
   pass; listings skip it meanwhile).
"""

from __future__ import annotations

from .codec import SEP, unpack
from .redis_index import children_key, unfile_pair
from .redis_txn import session_keys

__all__ = ["DROP_SCRIPT", "delete_older_than"]

#: KEYS: a session's own keys, its hash first; ARGV: the version read. 1 if dropped.
DROP_SCRIPT = """
local version = redis.call('HGET', KEYS[1], 'v')
if not version or version ~= ARGV[1] then return 0 end
redis.call('DEL', unpack(KEYS))
return 1
"""


def delete_older_than(client, prefix: str, drop: str, cutoff: float, product: str | None,
                      limit: int) -> int:
    """``Store.delete_older_than`` on Redis; ``drop`` is ``DROP_SCRIPT``'s sha."""
    walked = prefix + ("ix:all" if product is None else "ix:p:" + product)
    ids = [raw.decode() for raw in
           client.zrangebyscore(walked, "-inf", f"({cutoff!r}", start=0, num=max(limit, 0))]
    if not ids:
        return 0
    reads = client.pipeline(transaction=False)
    for sid in ids:
        reads.hmget(session_keys(prefix, sid)[0], "r", "v", "x")
    found = [(sid, unpack(raw), version, unpack(note) or [None])
             for sid, (raw, version, note) in zip(ids, reads.execute())]
    found = [row for row in found if row[1] is not None]
    pipe = client.pipeline(transaction=False)
    for sid, record, _, note in found:
        _unindex(pipe, prefix, sid, record, note[0])
    pipe.execute()
    for sid, _, version, _ in found:
        keys = session_keys(prefix, sid) + [children_key(prefix, sid)]
        pipe.evalsha(drop, len(keys), *keys, version)
    dropped = pipe.execute() if found else []
    products = {sid: record["product"] for (sid, record, _, _), done in zip(found, dropped)
                if done}
    still = {row[0] for row in found} - set(products)  # written meanwhile: the next pass
    for sid in ids:
        if sid not in still:  # deleted now, or before
            pipe.zrem(prefix + "ix:all", sid)
            pipe.zrem(walked, sid)
            if sid in products:
                pipe.zrem(prefix + "ix:p:" + products[sid], sid)
    pipe.execute()
    return len(products)


def _unindex(pipe, prefix: str, sid: str, record: dict, before: list | None) -> None:
    """Queue the removal of ``sid`` from the sets of its record's identity, and of the
    identity noted before its last step (its index update may not have happened)."""
    ix = prefix + "ix:"
    for status, product, version in [(record["status"], record["product"], record["version"])] \
            + ([tuple(before)] if before else []):
        pair = product + SEP + version
        pipe.zrem(ix + "s:" + status, sid)
        pipe.zrem(ix + "vs:" + pair + SEP + status, sid)
        pipe.zrem(ix + "v:" + pair, sid)
        pipe.zrem(ix + "c:" + pair + SEP + status, sid)
        unfile_pair(pipe, prefix, sid, pair, record)
        if product != record["product"]:
            pipe.zrem(ix + "p:" + product, sid)
    pipe.zrem(ix + "h", sid)
    pipe.zrem(ix + "inc", sid)
    parent = record.get("parent_session_id")
    if isinstance(parent, str):
        pipe.zrem(children_key(prefix, parent), sid)
