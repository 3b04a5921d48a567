"""Retention on the key-value stores: delete the sessions first stored before a time.

The ``all`` and per-product indexes hold session ids in arrival order, which is the order
sessions were first stored. ``rt/<index>`` is how many entries at the front of an index
are dead (deleted or stale); a pass reads on from there and stops at the first session
stored at or after the cutoff. Listing cursors are positions in the indexes, so a deleted
session's entry is blanked in place (``""``, skipped by every read), never removed: in the
``all``, product, version indexes (found near their front, where the oldest sessions are)
and the index of its status (its record says where).
"""

from __future__ import annotations

from .codec import BLOCK, index_names, iter_items, pack, rollup_key, unpack
from .kvtimeline import move
from .kvtxn import CHILDREN, KVTxn
from .timeline import facts

__all__ = ["delete_older_than", "first_stored"]


def first_stored(session: dict) -> float:
    """When the session was first stored (its time in the arrival indexes)."""
    return session.get("received_at") or session["updated_at"]


def delete_older_than(store, cutoff: float, product: str | None, limit: int) -> int:
    """``Store.delete_older_than`` for a ``KVStore``: one exclusive section per call."""
    name = "all" if product is None else "p" + product
    deleted = 0
    with store._transaction() as txn:
        position = unpack(txn._get_raw("rt/" + name), 0)
        count = unpack(txn._get_raw("ixc/" + name), 0)
        while position < count and deleted < limit:
            ids = store._index_range(name, position, min(count, position + BLOCK))
            raws = store._kv.get_many(["s/" + sid for sid in ids])
            for sid, raw in zip(ids, raws):
                session = unpack(raw)
                if session is not None and (product is None or session["product"] == product):
                    if first_stored(session) >= cutoff:
                        count = position  # the rest is newer: stop here
                        break
                    _delete(txn, sid, session)
                    _blank(txn, name, position, sid)
                    for other in index_names(session["product"], session["version"]):
                        if other != name:
                            _find_and_blank(txn, other, sid)
                    deleted += 1
                position += 1
                if deleted == limit:
                    break
        txn._set_raw("rt/" + name, pack(position))
    return deleted


def _delete(txn: KVTxn, sid: str, session: dict) -> None:
    """Remove one session's records, streams, history, snapshots and children index, and
    take it out of its rollup, the lost list and its parent's children."""
    for prefix, field in (("e", "event_count"), ("m", "metric_count"), ("h", "history_count")):
        for block in range((session.get(field, 0) + BLOCK - 1) // BLOCK):
            txn._set_raw(f"{prefix}/{sid}/{block}", None)
            if prefix == "h":
                txn._set_raw(f"hs/{sid}/{block}", None)
    own = CHILDREN + sid
    for block in range((unpack(txn._get_raw("ixc/" + own), 0) + BLOCK - 1) // BLOCK):
        txn._set_raw(f"ix/{own}/{block}", None)
    for key in ("s/", "st/", "sx/", "ixc/" + CHILDREN):
        txn._set_raw(key + sid, None)
    status, pair = session["status"], (session["product"], session["version"])
    if "status_ix" in session:
        _blank(txn, "s" + status, session["status_ix"], sid)
    txn._bump_rollup(pair, status, None)
    move(txn, sid, facts(session), None)
    if session.get("hang_count"):
        key = rollup_key(*pair)
        rollup = unpack(txn._get_raw(key))
        rollup["hung_sessions"] = max(0, rollup.get("hung_sessions", 0) - 1)
        txn._set_raw(key, pack(rollup))
    if status == "lost":
        txn._track_lost(sid, False)
    parent = session.get("parent_session_id")
    if isinstance(parent, str):
        _drop_child(txn, CHILDREN + parent, sid)


def _drop_child(txn: KVTxn, name: str, sid: str) -> None:
    """Rewrite a parent's children index without ``sid`` (it is never paged by position)."""
    count = unpack(txn._get_raw("ixc/" + name), 0)
    blocks = range((count + BLOCK - 1) // BLOCK)
    children = [child for block in blocks
                for child in iter_items(txn._get_raw(f"ix/{name}/{block}") or b"")]
    if sid not in children:
        return
    for block in blocks:
        txn._set_raw(f"ix/{name}/{block}", None)
    kept = [child for child in children if child != sid]
    txn._set_raw("ixc/" + name, pack(txn._append_raw("ix/" + name, 0, kept)) if kept else None)



def _blank(txn: KVTxn, name: str, position: int, sid: str) -> bool:
    """Blank ``sid`` at ``position`` of index ``name``; ``False`` if it is not there."""
    key = f"ix/{name}/{position // BLOCK}"
    items = list(iter_items(txn._get_raw(key) or b""))
    if position % BLOCK >= len(items) or items[position % BLOCK] != sid:
        return False
    items[position % BLOCK] = ""
    txn._set_raw(key, b"".join(pack(item) for item in items))
    return True


def _find_and_blank(txn: KVTxn, name: str, sid: str, reach: int = 2 * BLOCK) -> None:
    """Blank ``sid`` among the first ``reach`` entries of index ``name`` past ``rt/<name>``
    (the oldest sessions), moving ``rt/<name>`` past the blank entries at its front."""
    front = unpack(txn._get_raw("rt/" + name), 0)
    count = unpack(txn._get_raw("ixc/" + name), 0)
    position, dead_front, found = front, True, False
    while position < min(count, front + reach) and (dead_front or not found):
        block = position // BLOCK
        items = list(iter_items(txn._get_raw(f"ix/{name}/{block}") or b""))
        for offset in range(position - block * BLOCK, len(items)):
            if items[offset] == sid and not found:
                found = _blank(txn, name, position, sid)
                items[offset] = ""
            if items[offset] != "":
                dead_front = False
            elif dead_front:
                front = position + 1
            position += 1
    txn._set_raw("rt/" + name, pack(front))
