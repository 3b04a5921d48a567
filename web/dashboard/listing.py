"""The sessions page's query: filter, sort and cursor-page the index's summaries."""

from __future__ import annotations

import base64
import bisect
import json
from collections import OrderedDict
from contextlib import suppress
from dataclasses import dataclass, field

from datacat.broker.store import STATUSES

from .filters import SessionFilter
from .index import SessionIndex
from .probes import MAX_PROBES
from .summary import Summary

__all__ = ["Listing", "list_sessions", "PAGE_SIZE"]

PAGE_SIZE = 50
_CACHED_ORDERS = 8


@dataclass
class Listing:
    """One page: rows, the cursor of the next page, and what the scan had to do.

    ``total`` is the number of matches when it is known without a full scan.
    """

    rows: list[Summary] = field(default_factory=list)
    cursor: str | None = None
    total: int | None = None
    probed: int = 0
    stopped_early: bool = False


def _encode(key: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple | None:
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError):
        return None
    valid = (isinstance(key, list) and len(key) == 3 and isinstance(key[1], (int, float))
             and isinstance(key[2], str))
    return tuple(key) if valid else None


def _cheap_test(flt: SessionFilter):
    """The filters a summary answers by itself, as one predicate (``None``: keep all)."""
    product, version, status, machine = flt.product, flt.version, flt.status, flt.machine.lower()
    if not (product or version or status or machine):
        return None

    def test(s: Summary) -> bool:
        return ((not product or s.product == product) and (not version or s.version == version)
                and (not status or s.kind(status))
                and (not machine or machine in s.hostname.lower() or machine in s.machine.lower()))

    return test


def _value(sort: str, now: float):
    if sort == "duration":
        return lambda s: s.duration(now)
    return lambda s: getattr(s, sort)


def _known_total(index: SessionIndex, flt: SessionFilter, since, until) -> int | None:
    """The match count when the index's counters hold it (no machine filter, no time bound
    other than the whole range for status/product filters)."""
    if flt.machine or ((flt.product or flt.status) and (since or until)):
        return None
    if not (flt.product or flt.status):
        return index.count_between(since, until)
    if flt.status and not flt.product:
        return index.rollup.by_status.get(flt.status, 0) if flt.status in STATUSES else None
    if flt.status:
        return None
    rows = index.rollup.version_rows(flt.product)
    return sum(r["total"] for r in rows if not flt.version or r["version"] == flt.version)


def _sorted(index: SessionIndex, flt: SessionFilter, now: float, cache: OrderedDict) -> list:
    """Every cheap match, ascending by ``(sort value, start, id)``; cached per index change."""
    key = (flt.key(), index.generation, int(now) if flt.range not in ("all", "custom") else 0)
    rows = cache.get(key)
    if rows is not None:
        with suppress(KeyError):  # a listing in another thread may have dropped it since
            cache.move_to_end(key)
        return rows
    since, until = flt.bounds(now)
    test = _cheap_test(flt)
    rows = [s for s in index.walk(since, until, newest_first=False) if test is None or test(s)]
    rows.sort(key=_value(flt.sort, now))  # stable: ties stay in (start, id) order
    cache[key] = rows
    while len(cache) > _CACHED_ORDERS:
        with suppress(KeyError):
            cache.popitem(last=False)
    return rows


def _candidates(index: SessionIndex, flt: SessionFilter, now: float, cursor, cache):
    """``(summaries in page order from the cursor on, total or None)``."""
    since, until = flt.bounds(now)
    newest = flt.order == "desc"
    if flt.sort == "created":
        test = _cheap_test(flt)
        walk = index.walk(since, until, cursor[1:] if cursor else None, newest)
        return (walk if test is None else filter(test, walk)), _known_total(index, flt, since, until)
    rows = _sorted(index, flt, now, cache)
    value = _value(flt.sort, now)

    def place(s: Summary) -> tuple:
        return value(s), s.created, s.id

    try:
        if newest:
            end = bisect.bisect_left(rows, cursor, key=place) if cursor else len(rows)
            return (rows[i] for i in range(end - 1, -1, -1)), len(rows)
        start = bisect.bisect_right(rows, cursor, key=place) if cursor else 0
    except TypeError:  # a cursor edited by hand: start over
        return _candidates(index, flt, now, None, cache)
    return (rows[i] for i in range(start, len(rows))), len(rows)


def list_sessions(index: SessionIndex, flt: SessionFilter, now: float, expensive=None,
                  cache: OrderedDict | None = None, page_size: int = PAGE_SIZE) -> Listing:
    """The page of sessions ``flt`` selects, from its cursor on.

    Sorted by start time, the index is walked lazily; other orders sort every cheap match
    once per index change (kept in ``cache``). ``expensive(summary)`` (the state and event
    filters) is tried on at most ``MAX_PROBES`` candidates; when it stops early the cursor
    continues from the last one examined.
    """
    cursor = _decode(flt.cursor) if flt.cursor else None
    candidates, total = _candidates(index, flt, now, cursor, OrderedDict() if cache is None else cache)
    listing = Listing(total=None if expensive else total)
    last = None
    for summary in candidates:
        if len(listing.rows) == page_size:
            break
        if expensive is not None:
            if listing.probed == MAX_PROBES:
                listing.stopped_early = True
                break
            listing.probed += 1
            if not expensive(summary):
                last = summary
                continue
        listing.rows.append(summary)
        last = summary
    else:
        return listing  # the candidates ran out: no next page
    if last is not None:
        listing.cursor = _encode([_value(flt.sort, now)(last), last.created, last.id])
    return listing
