"""One metric's spread in a version: p50 and p95 of the stored windows of a few of its
sessions (blocking store reads: call it off the event loop)."""

from __future__ import annotations

from collections import Counter

from datacat.broker.store import Store

from .figures.stats import percentile, point_value

__all__ = ["METRIC_SESSIONS", "POINTS_PER_SESSION", "read_windows", "common_name", "spread"]

#: Sessions of a version whose metric points are read (the newest of those considered).
METRIC_SESSIONS = 100
#: The newest metric points read per session.
POINTS_PER_SESSION = 2000


def read_windows(store: Store, sessions: list[dict]) -> list[list[dict]]:
    """The newest ``POINTS_PER_SESSION`` metric points of each of the first
    ``METRIC_SESSIONS`` of ``sessions``."""
    out = []
    for session in sessions[:METRIC_SESSIONS]:
        total = session.get("metric_count") or 0
        start = max(0, total - POINTS_PER_SESSION)
        out.append(store.read("metrics", session["id"], start, total - start) if total else [])
    return out


def common_name(*sides: list[list[dict]]) -> str:
    """The metric name found in most points across ``sides`` (``""`` when none)."""
    names = Counter(str(p.get("name")) for side in sides for points in side for p in points)
    return names.most_common(1)[0][0] if names else ""


def spread(windows: list[list[dict]], metric: str) -> dict:
    """``{sessions, with_metric, windows, unit, p50, p95}``: each stored window of ``metric``
    counts once with its headline value (gauge: last; timer, histogram: mean; counter: sum)."""
    values, unit, having = [], None, 0
    for points in windows:
        found = [(v, p) for p in points if str(p.get("name")) == metric
                 and (v := point_value(p)) is not None]
        having += bool(found)
        values.extend(v for v, _ in found)
        unit = next((p.get("unit") for _, p in found if p.get("unit")), unit)
    return {"sessions": len(windows), "with_metric": having, "windows": len(values),
            "unit": unit, "p50": percentile(values, 50), "p95": percentile(values, 95)}
