"""Listing sessions on Redis: a walk down one sorted set (see ``redis_index.py``), newest first.

A cursor is ``<kind><score>:<sid>``, the last session listed (kind ``s`` for a status
walk, ``i`` otherwise); the next page starts below it, so pages never repeat or skip, and
sessions of equal score are told apart by id.
"""

from __future__ import annotations

import math

from .base import Page, SessionQuery
from .codec import unpack
from .kvstore import matches
from .redis_index import walk_key
from .redis_txn import session_keys

__all__ = ["list_page"]


def list_page(client, prefix: str, query: SessionQuery) -> Page:
    """One page of ``Store.list_sessions``: walk the matching sorted set newest first."""
    if query.limit < 1:
        raise ValueError(f"list_sessions needs a limit of at least 1, not {query.limit}")
    kind = "s" if query.status is not None else "i"
    top, after = _parse_cursor(query.cursor, kind)
    key, chunk = walk_key(prefix, query), min(max(2 * query.limit, 64), 1000)
    items, offset, last = [], 0, None
    while True:
        found = client.zrange(key, top, "-inf", desc=True, byscore=True, withscores=True,
                              offset=offset, num=chunk)
        fresh = [(member.decode(), score) for member, score in found
                 if after is None or score != top or member.decode() < after]
        if found and not fresh:  # only ties already listed: look further along
            offset += len(found)
            continue
        records = client.pipeline(transaction=False)
        for sid, _ in fresh:
            records.hget(session_keys(prefix, sid)[0], "r")
        for (sid, score), raw in zip(fresh, records.execute() if fresh else []):
            last = (score, sid)
            session = unpack(raw)
            if session is not None and matches(session, query):
                items.append(session)
                if len(items) == query.limit:
                    more = (sid, score) != fresh[-1] or len(found) == chunk
                    return Page(items, f"{kind}{score!r}:{sid}" if more else None)
        if len(found) < chunk:
            return Page(items, None)
        top, after, offset = last[0], last[1], 0


def _parse_cursor(cursor: str | None, kind: str) -> tuple:
    """``(top score, last id listed)`` of a cursor ``<kind><score>:<sid>``."""
    if not cursor:
        return "+inf", None
    score, sep, sid = cursor[1:].partition(":")
    try:
        if cursor[0] != kind or not sep:
            raise ValueError
        top = float(score)
    except ValueError:
        raise ValueError(f"not a session cursor for this query: {cursor!r}") from None
    if math.isnan(top):
        raise ValueError(f"not a session cursor for this query: {cursor!r}")
    return top, sid
