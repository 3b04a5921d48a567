"""``Rollup``: counts the overview and product pages show, kept in step with the index."""

from __future__ import annotations

from collections import Counter

from .summary import Summary

__all__ = ["Rollup", "HOUR", "DAY"]

HOUR, DAY = 3600, 86400


class Rollup:
    """Sessions per status, per start hour/day and status, per product version; incidents.

    ``add`` and ``remove`` take a ``Summary``; replacing a session is ``remove(old)`` then
    ``add(new)``, so every count is exact after any sequence of updates.
    """

    def __init__(self):
        self.by_status: Counter = Counter()
        self.hours: Counter = Counter()
        self.days: Counter = Counter()
        #: (product, version) -> Counter(total, crashed, hung); first start seen per version.
        self.versions: dict[tuple[str, str], Counter] = {}
        self.first_seen: dict[tuple[str, str], float] = {}
        #: sid -> time of its crash or latest hang, for "recent crashes and hangs".
        self.incidents: dict[str, float] = {}

    def _count(self, summary: Summary, sign: int) -> None:
        status, created = summary.status, summary.created
        pair = (summary.product, summary.version)
        counts = self.versions.setdefault(pair, Counter())
        for counter, key, step in (
                (self.by_status, status, sign),
                (self.hours, (created // HOUR * HOUR, status), sign),
                (self.days, (created // DAY * DAY, status), sign),
                (counts, "total", sign),
                (counts, "crashed", sign if status == "crashed" else 0),
                (counts, "hung", sign if summary.hangs else 0)):
            counter[key] += step
            if not counter[key]:  # forget what counts nothing: counters stay small
                del counter[key]
        if not counts:
            del self.versions[pair]

    def add(self, summary: Summary) -> None:
        self._count(summary, 1)
        pair = (summary.product, summary.version)
        self.first_seen[pair] = min(self.first_seen.get(pair, summary.created), summary.created)
        if summary.incident is not None:
            self.incidents[summary.id] = summary.incident

    def remove(self, summary: Summary) -> None:
        self._count(summary, -1)
        self.incidents.pop(summary.id, None)

    def version_rows(self, product: str | None = None) -> list[dict]:
        """``{product, version, total, crashed, hung}`` per version, in order of first start."""
        pairs = [p for p in self.versions if product is None or p[0] == product]
        pairs.sort(key=lambda p: (p[0], self.first_seen.get(p, 0.0), p[1]))
        return [{"product": p[0], "version": p[1], "total": self.versions[p]["total"],
                 "crashed": self.versions[p]["crashed"], "hung": self.versions[p]["hung"]}
                for p in pairs]

