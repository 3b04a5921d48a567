"""``Digest``: per-version totals, hangs and crash reasons, and the incidents, in one pass.

Computed from the session summaries of the dashboard's index (``app.ctx.dashboard``),
which holds one small summary per session and is refreshed about once a second. A
digest is cached per index generation, so repeated scrapes of an idle store are free.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field

from sanic import Sanic

__all__ = ["VersionStats", "Digest", "digest", "current_digest", "index_of", "INDEX_WAIT"]

#: Seconds a request waits for the index's first build before answering without it.
INDEX_WAIT = 10.0


@dataclass
class VersionStats:
    """Counts over every session of one ``(product, version)`` the index holds."""

    total: int = 0
    crashed: int = 0
    ever_hung: int = 0
    episodes: int = 0
    first_seen: float | None = None
    reasons: Counter = field(default_factory=Counter)

    def free(self, affected: int) -> float | None:
        """``1 - affected / total`` (``None`` without sessions)."""
        return 1.0 - affected / self.total if self.total else None


@dataclass
class Digest:
    """What ``/metrics`` and ``/api/v1/annotations`` need beyond the store's rollups."""

    versions: dict = field(default_factory=dict)
    #: ``(crash time, summary)`` of every crashed session, oldest first.
    crashes: list = field(default_factory=list)
    #: summaries of sessions with at least one hang episode, by start time.
    hung: list = field(default_factory=list)
    sessions: int = 0


def digest(summaries) -> Digest:
    """One pass over session summaries (the index's ``Summary`` objects)."""
    out = Digest()
    for summary in summaries:
        stats = out.versions.setdefault((summary.product, summary.version), VersionStats())
        stats.total += 1
        created = summary.created
        stats.first_seen = created if stats.first_seen is None else min(stats.first_seen, created)
        if summary.hangs:
            stats.ever_hung += 1
            stats.episodes += summary.hangs
            out.hung.append(summary)
        if summary.status == "crashed":
            stats.crashed += 1
            stats.reasons[summary.reason or "unknown"] += 1
            out.crashes.append((summary.ended if summary.ended is not None else summary.seen,
                                summary))
        out.sessions += 1
    out.crashes.sort(key=lambda pair: pair[0])
    out.hung.sort(key=lambda summary: summary.created)
    return out


async def index_of(app: Sanic, wait: float = INDEX_WAIT):
    """The dashboard's session index once built, or ``None`` (absent, or not yet built)."""
    dashboard = getattr(app.ctx, "dashboard", None)
    if dashboard is None:
        return None
    try:
        await asyncio.wait_for(dashboard.ready.wait(), wait)
    except TimeoutError:
        return None
    return dashboard.index


async def current_digest(app: Sanic, wait: float = INDEX_WAIT) -> Digest | None:
    """The digest of the index as it is now (cached per index generation), or ``None``."""
    index = await index_of(app, wait)
    if index is None:
        return None
    cached = getattr(app.ctx, "insights_digest", None)
    if cached is not None and cached[0] == index.generation:
        return cached[1]
    generation, snapshot = index.generation, list(index.by_id.values())
    result = await asyncio.to_thread(digest, snapshot)
    app.ctx.insights_digest = (generation, result)
    return result
