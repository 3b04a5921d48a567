"""One metric across the sessions a filter selects: read in a worker, drawn as two figures."""

from __future__ import annotations

from collections import Counter

from datacat.broker.store import Store

from ..figures import metric_distribution, metric_series
from ..figures.stats import point_value
from .summary import Summary

__all__ = ["read_points", "cross_metric", "SAMPLE_SESSIONS", "POINTS_PER_SESSION"]

#: The newest matching sessions the chart is drawn from.
SAMPLE_SESSIONS = 100
#: The newest metric points read per session.
POINTS_PER_SESSION = 2000


def read_points(store: Store, sessions: list[Summary]) -> dict[str, list[dict]]:
    """The last ``POINTS_PER_SESSION`` metric points of each session (blocking store reads)."""
    out = {}
    for summary in sessions:
        start = max(0, summary.metrics - POINTS_PER_SESSION)
        out[summary.id] = store.read("metrics", summary.id, start, summary.metrics - start)
    return out


def cross_metric(points: dict[str, list[dict]], metric: str = "") -> dict:
    """``{names, metric, sessions, figures}`` for ``metric`` (default: the most common name).

    Per session the value is the mean of its windows' headline values (gauges, timers,
    histograms) or its total (counters); over time each window's value counts once.
    """
    names = Counter(str(p.get("name")) for items in points.values() for p in items)
    chosen = metric if metric in names else (names.most_common(1)[0][0] if names else "")
    per_session, series, unit = [], [], None
    for items in points.values():
        values = []
        for point in items:
            if str(point.get("name")) != chosen or (value := point_value(point)) is None:
                continue
            values.append(value)
            series.append((point.get("ts") or 0.0, value))
            unit = point.get("unit") or unit
            counter = point.get("type") == "counter"
        if values:
            per_session.append(sum(values) if counter else sum(values) / len(values))
    return {"names": sorted(names), "metric": chosen, "sessions": len(points),
            "figures": {"distribution": metric_distribution(chosen or "metric", per_session, unit),
                        "series": metric_series(chosen or "metric", series, unit)}}
