"""The sessions page's filter: parsed from the query string, written back into links."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace
from urllib.parse import urlencode

from datacat.broker.store import STATUSES

from ..state_match import state_match
from ..timefmt import parse_time
from .summary import HANG_KINDS

__all__ = ["SessionFilter", "RANGES", "SORTS", "STATUS_CHOICES", "parse_filter", "state_match"]

#: Time-range presets (seconds back from now; ``None``: no bound) in menu order.
RANGES = {"1d": 86400, "1w": 7 * 86400, "2w": 14 * 86400, "1m": 30 * 86400, "3m": 90 * 86400,
          "all": None, "custom": None}
#: Sortable columns.
SORTS = ("created", "product", "version", "status", "duration", "events", "hostname")
#: Every status filter: stored statuses, then hang kinds.
STATUS_CHOICES = {**{s: s for s in STATUSES}, **HANG_KINDS}


@dataclass(frozen=True)
class SessionFilter:
    """Every filter, the sort and the page cursor; empty strings mean "any"."""

    range: str = "all"
    start: str = ""
    end: str = ""
    product: str = ""
    version: str = ""
    status: str = ""
    machine: str = ""
    tag: str = ""
    state: str = ""
    event: str = ""
    sort: str = "created"
    order: str = "desc"
    cursor: str = ""

    def bounds(self, now: float | None = None) -> tuple[float | None, float | None]:
        """``(since, until)`` in epoch seconds for the range (custom: the start and end fields)."""
        if self.range == "custom":
            return _time(self.start), _time(self.end)
        seconds = RANGES.get(self.range)
        return ((now or time.time()) - seconds if seconds else None), None

    def key(self) -> tuple:
        """Everything but the cursor (and the "now" of relative ranges): a cache key."""
        return tuple(value for name, value in asdict(self).items() if name != "cursor")

    def query(self, **changes) -> str:
        """This filter as a query string, with ``changes`` applied and empty fields left out."""
        fields = asdict(replace(self, **changes))
        defaults = asdict(SessionFilter())
        return urlencode({k: v for k, v in fields.items() if v and v != defaults[k]})


def _time(text: str) -> float | None:
    try:
        return parse_time(text) if text else None
    except ValueError:
        return None


def parse_filter(args) -> SessionFilter:
    """A ``SessionFilter`` from query ``args`` (a mapping of names to first values).

    Unknown choices fall back to their defaults rather than failing: links get shared and
    edited by hand, and a page that still shows something is more useful than a 400.
    """
    def get(name: str) -> str:
        return (args.get(name) or "").strip()[:500]

    return SessionFilter(range=get("range") if get("range") in RANGES else "all",
                         start=get("start"), end=get("end"), product=get("product"),
                         version=get("version") if get("product") else "",
                         status=get("status") if get("status") in STATUS_CHOICES else "",
                         machine=get("machine"), tag=get("tag"), state=get("state"),
                         event=get("event"),
                         sort=get("sort") if get("sort") in SORTS else "created",
                         order="asc" if get("order") == "asc" else "desc", cursor=get("cursor"))
