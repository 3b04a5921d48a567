"""The sessions page's query: filter, sort and cursor-page sessions read from the store.

Newest first by start is a walk down the store's own listing (its product, version,
status or ever-hung index), resumed page after page by a cursor, so it costs the page
and never the store. Any other order sorts the newest ``SORT_CAP`` matches (and says so
when more match). Filters the store has no index for (hang kinds, machine, tag, state,
events) test the records walked, within a budget per request.
"""

from __future__ import annotations

import base64
import bisect
import json
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field, replace
from itertools import chain

from datacat.broker.store import STATUSES, SessionQuery, Store

from ..slicing import Slice
from .filters import SessionFilter
from .probes import MAX_PROBES
from .summary import Summary, summarize

__all__ = ["Listing", "list_sessions", "PAGE_SIZE", "SORT_CAP", "MAX_SCAN"]

PAGE_SIZE = 50
#: Matches sorted when the order is not newest first.
SORT_CAP = 5000
#: Records one request may test against the filters the store has no index for.
MAX_SCAN = 5000
#: Records read per store page while walking.
_CHUNK = 100
_CACHED_ORDERS = 4
_CACHE_SECONDS = 10


@dataclass
class Listing:
    """One page: rows, the cursor of the next page, and what the scan had to do.

    ``total`` is the number of matches when the store's rollups hold it (or all were
    sorted); ``capped`` says an order other than newest first sorted only ``SORT_CAP``.
    """

    rows: list[Summary] = field(default_factory=list)
    cursor: str | None = None
    total: int | None = None
    probed: int = 0
    stopped_early: bool = False
    capped: bool = False


def _encode(key: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def _decode(cursor: str) -> list | None:
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError):
        return None
    return key if isinstance(key, list) and key else None


def _store_query(flt: SessionFilter, now: float) -> SessionQuery:
    since, until = flt.bounds(now)
    stored = flt.status in STATUSES
    return SessionQuery(product=flt.product or None, version=flt.version or None,
                        status=flt.status if stored else None,
                        ever_hung=bool(flt.status) and not stored, since=since, until=until)


def _cheap_test(flt: SessionFilter):
    """What the store's query leaves to test on a summary (``None``: nothing)."""
    kind = flt.status if flt.status and flt.status not in STATUSES else ""
    machine = flt.machine.lower()
    tag = Slice(tags=(flt.tag,)) if flt.tag else None
    if not (kind or machine or tag):
        return None
    return lambda s: ((not kind or s.kind(kind))
                      and (not machine or machine in s.hostname.lower()
                           or machine in s.machine.lower())
                      and (tag is None or tag.record_matches({"tags": s.tags})))


def _walk(store: Store, query: SessionQuery, cursor: str | None, skip: int
          ) -> Iterator[tuple[list, Summary]]:
    """``(resume point after it, summary)`` of every match, newest first, from a point."""
    while True:
        page = store.list_sessions(replace(query, cursor=cursor, limit=_CHUNK))
        for position, record in enumerate(page.items[skip:], skip + 1):
            yield [cursor or "", position], summarize(record)
        if page.cursor is None:
            return
        cursor, skip = page.cursor, 0


def _known_total(store: Store, flt: SessionFilter, query: SessionQuery) -> int | None:
    """The match count when the store's rollups hold it: no time bound, no machine or tag
    filter, and a stored status or ever hung (or none)."""
    if flt.machine or flt.tag or query.since or query.until:
        return None
    if flt.status and flt.status not in STATUSES and flt.status != "ever_hung":
        return None
    total = 0
    for row in store.products():
        if (flt.product and row["product"] != flt.product) or \
                (flt.version and row["version"] != flt.version):
            continue
        total += (row["hung_sessions"] if query.ever_hung else
                  row["by_status"].get(flt.status, 0) if flt.status else row["total"])
    return total


def _value(sort: str, now: float):
    if sort == "duration":
        return lambda s: s.duration(now)
    return lambda s: getattr(s, sort)


def _sorted(store: Store, flt: SessionFilter, now: float, cache: OrderedDict) -> tuple:
    """``(the (value, start, id) of the newest SORT_CAP matches, ascending; more matched)``;
    kept for ``_CACHE_SECONDS`` per filter, so paging through them walks them once (a page
    then reads its own records)."""
    key = (flt.key(), int(now // _CACHE_SECONDS))
    found = cache.get(key)
    if found is not None:
        with suppress(KeyError):  # a listing in another thread may have dropped it since
            cache.move_to_end(key)
        return found
    test, value, rows, more = _cheap_test(flt), _value(flt.sort, now), [], False
    for scanned, (_, summary) in enumerate(_walk(store, _store_query(flt, now), None, 0)):
        if len(rows) == SORT_CAP or scanned == SORT_CAP + MAX_SCAN:
            more = True
            break
        if test is None or test(summary):
            rows.append((value(summary), summary.created, summary.id))
    rows.sort()
    cache[key] = found = (rows, more)
    while len(cache) > _CACHED_ORDERS:
        with suppress(KeyError):
            cache.popitem(last=False)
    return found


def _candidates(store: Store, flt: SessionFilter, now: float, cursor: list | None,
                cache: OrderedDict):
    """``(iterator of (resume point, summary) in page order, listing so far)``."""
    query = _store_query(flt, now)
    if flt.sort == "created" and flt.order == "desc":
        start, skip = (cursor[1], cursor[2]) if cursor and len(cursor) == 3 and cursor[0] == "w" \
            and isinstance(cursor[1], str) and isinstance(cursor[2], int) else ("", 0)
        try:  # the store checks its cursor on the first read
            walk = _walk(store, query, start or None, max(skip, 0))
            first = next(walk, None)
        except ValueError:  # a cursor edited by hand, or the store's own gone stale
            walk = _walk(store, query, None, 0)
            first = next(walk, None)
        return chain([first] if first else [], walk), Listing(total=_known_total(store, flt, query))
    rows, more = _sorted(store, flt, now, cache)
    listing = Listing(total=None if more else len(rows), capped=more)
    at = None
    if cursor and len(cursor) == 4 and cursor[0] == "o":
        with suppress(TypeError):  # a cursor edited by hand: start over
            at = (bisect.bisect_left(rows, tuple(cursor[1:])) if flt.order == "desc"
                  else bisect.bisect_right(rows, tuple(cursor[1:])))
    if flt.order == "desc":
        order = range((len(rows) if at is None else at) - 1, -1, -1)
    else:
        order = range(at or 0, len(rows))
    return _read_rows(store, (rows[i] for i in order)), listing


def _read_rows(store: Store, keys) -> Iterator[tuple[list, Summary]]:
    """``(resume point, summary)`` of each sorted ``(value, start, id)`` still stored."""
    for key in keys:
        record = store.get_session(key[2])
        if record is not None:
            yield ["o", *key], summarize(record)


def list_sessions(store: Store, flt: SessionFilter, now: float, expensive=None,
                  cache: OrderedDict | None = None, page_size: int = PAGE_SIZE) -> Listing:
    """The page of sessions ``flt`` selects, from its cursor on (blocking: store reads).

    ``expensive(summary)`` (the state and event filters) is tried on at most
    ``MAX_PROBES`` candidates, and the cheap filters on at most ``MAX_SCAN``; when either
    stops early the cursor continues from the last one examined.
    """
    cursor = _decode(flt.cursor) if flt.cursor else None
    candidates, listing = _candidates(store, flt, now, cursor,
                                      OrderedDict() if cache is None else cache)
    if expensive is not None:
        listing.total = None
    walking = flt.sort == "created" and flt.order == "desc"
    test = _cheap_test(flt) if walking else None
    last, scanned = None, 0
    for point, summary in candidates:
        if len(listing.rows) == page_size:
            break
        if test is not None:
            if scanned == MAX_SCAN:
                listing.stopped_early = True
                break
            scanned += 1
            if not test(summary):
                last = point
                continue
        if expensive is not None:
            if listing.probed == MAX_PROBES:
                listing.stopped_early = True
                break
            listing.probed += 1
            if not expensive(summary):
                last = point
                continue
        listing.rows.append(summary)
        last = point
    else:
        return listing  # the candidates ran out: no next page
    if last is not None:
        listing.cursor = _encode(["w", *last] if walking else last)
    return listing
