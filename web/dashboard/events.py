"""The session page's events list: newest first, searched and filtered, paged by ``seq``."""

from __future__ import annotations

from dataclasses import dataclass, field

from datacat.broker.store import Store

__all__ = ["EventQuery", "EventPage", "event_query", "find_events", "PAGE", "SCAN_BUDGET"]

PAGE = 50
#: Events examined at most per request; the page then says where to continue.
SCAN_BUDGET = 20_000
_CHUNK = 512


@dataclass(frozen=True)
class EventQuery:
    """``q`` (text in name or message), ``level``, ``category``, ``before`` (a seq)."""

    q: str = ""
    level: str = ""
    category: str = ""
    before: int | None = None

    def matches(self, event: dict) -> bool:
        if self.level and event.get("level") != self.level:
            return False
        if self.category and event.get("category") != self.category:
            return False
        if not self.q:
            return True
        needle = self.q.lower()
        return any(needle in str(event.get(f) or "").lower() for f in ("name", "message"))


@dataclass
class EventPage:
    """Matching events newest first; ``next_before`` continues the scan (``None``: done)."""

    items: list[dict] = field(default_factory=list)
    next_before: int | None = None
    scanned: int = 0


def event_query(args) -> EventQuery:
    """An ``EventQuery`` from query ``args``; a bad ``before`` means "from the newest"."""
    before = args.get("before") or ""
    return EventQuery(q=(args.get("q") or "").strip()[:200], level=args.get("level") or "",
                      category=args.get("category") or "",
                      before=int(before) if before.isdigit() else None)


def find_events(store: Store, sid: str, count: int, query: EventQuery,
                page: int = PAGE, budget: int = SCAN_BUDGET) -> EventPage:
    """Scan events backwards from ``query.before`` (or the newest) for ``page`` matches."""
    end = min(count, query.before) if query.before is not None else count
    result = EventPage()
    while end > 0 and len(result.items) < page and result.scanned < budget:
        start = max(0, end - _CHUNK)
        chunk = store.read("events", sid, start, end - start)
        for offset in range(len(chunk) - 1, -1, -1):
            result.scanned += 1
            if query.matches(chunk[offset]):
                result.items.append(chunk[offset])
                if len(result.items) == page:
                    end = start + offset
                    break
        else:
            end = start
    result.next_before = end if end > 0 else None
    return result
