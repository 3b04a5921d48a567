"""``Store.read_session`` on the key-value layout: the record and state in one ``get_many``,
then every stream block and history snapshot needed in another (layout: ``kvstore.py``)."""

from __future__ import annotations

from .base import SessionRead
from .codec import BLOCK, STREAMS, iter_items, unpack
from .history import replay as replayed
from .kv import KVBackend

__all__ = ["read_session", "resolve"]


def resolve(start: int, limit: int, count: int) -> tuple[int, int]:
    """``(start, end)`` of the items a ``(start, limit)`` read of a stream of ``count``
    items returns; a negative ``start`` counts back from the end."""
    if start < 0:
        start = max(count + start, 0)
    return start, min(count, start + max(limit, 0))


def read_session(kv: KVBackend, sid: str, streams: dict[str, tuple[int, int]] | None = None,
                 state: bool = False, replay: bool = False) -> SessionRead | None:
    """``Store.read_session`` over ``kv``: two ``get_many``, blocks outside the ranges
    never read, items before a range stepped over undecoded."""
    raws = kv.get_many(["s/" + sid, "st/" + sid] if state else ["s/" + sid])
    session = unpack(raws[0])
    if session is None:
        return None
    found = SessionRead(session, unpack(raws[1], {}) if state else None)
    ranges, keys = {}, {}  # stream -> (prefix, start, end); key -> its value once read
    for stream, (start, limit) in (streams or {}).items():
        prefix, count_field = STREAMS[stream]
        start, end = resolve(start, limit, session.get(count_field, 0))
        ranges[stream] = (prefix, start, end)
        keys.update(dict.fromkeys(f"{prefix}/{sid}/{block}" for block in _blocks(start, end)))
    base = _base_block(ranges) if replay else None
    if base is not None:
        keys[f"hs/{sid}/{base}"] = keys[f"h/{sid}/{base}"] = None
    keys.update(zip(keys, kv.get_many(list(keys))))
    for stream, (prefix, start, end) in ranges.items():
        items = []
        for block in _blocks(start, end):
            first = block * BLOCK
            items.extend(iter_items(keys[f"{prefix}/{sid}/{block}"] or b"", max(0, start - first),
                                    end - first))
        found.streams[stream] = (start, items)
    if base is not None:
        first = ranges["history"][1]
        found.base = replayed(unpack(keys[f"hs/{sid}/{base}"], {}),
                              iter_items(keys[f"h/{sid}/{base}"] or b"", 0, first - base * BLOCK))
    return found


def _blocks(start: int, end: int) -> range:
    """The blocks holding items ``start .. end`` of a stream."""
    return range(start // BLOCK, (end - 1) // BLOCK + 1) if start < end else range(0)


def _base_block(ranges: dict) -> int | None:
    """The history block holding the snapshot ``base`` starts from, if any entry is read."""
    if "history" not in ranges:
        return None
    _, start, end = ranges["history"]
    return start // BLOCK if start < end else None
