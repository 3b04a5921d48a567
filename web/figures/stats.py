"""Small statistics the charts need: percentiles of samples and of histogram buckets."""

from __future__ import annotations

import math

__all__ = ["percentile", "summary", "bucket_percentile", "merge_buckets", "point_value",
           "observed_range"]


def percentile(values: list[float], q: float) -> float | None:
    """The ``q``-th percentile (0–100) of ``values``, interpolating linearly; ``None`` if empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(values: list[float]) -> dict:
    """``{count, mean, median, p95, max}`` of ``values`` (``None``s when empty)."""
    if not values:
        return {"count": 0, "mean": None, "median": None, "p95": None, "max": None}
    return {"count": len(values), "mean": sum(values) / len(values),
            "median": percentile(values, 50), "p95": percentile(values, 95), "max": max(values)}


def _bound(value) -> float:
    return math.inf if value in ("+Inf", "inf", "Inf") else float(value)


def merge_buckets(points: list[dict]) -> list[tuple[float, int]]:
    """Cumulative ``[[le, count], ...]`` buckets of several points, summed by bound, sorted."""
    totals: dict[float, int] = {}
    for point in points:
        for le, count in point.get("buckets") or ():
            bound = _bound(le)
            totals[bound] = totals.get(bound, 0) + int(count)
    return sorted(totals.items())


def bucket_percentile(buckets: list[tuple[float, int]], q: float, low: float | None = None,
                      high: float | None = None) -> float | None:
    """Estimate the ``q``-th percentile from cumulative buckets (Prometheus style).

    Interpolates linearly inside the bucket holding the rank; a rank in the ``+Inf``
    bucket gives the largest finite bound. The estimate is clamped to the observed
    minimum ``low`` and maximum ``high`` when they are known.
    """
    if not buckets or buckets[-1][1] <= 0:
        return None
    estimate = _estimate(buckets, buckets[-1][1] * q / 100)
    if high is not None:
        estimate = min(estimate, high)
    return estimate if low is None else max(estimate, low)


def _estimate(buckets: list[tuple[float, int]], rank: float) -> float:
    previous_bound, previous_count = 0.0, 0
    for bound, count in buckets:
        if count >= rank:
            if math.isinf(bound):
                return previous_bound
            if count == previous_count:
                return bound
            return previous_bound + (bound - previous_bound) * (rank - previous_count) / (
                count - previous_count)
        previous_bound, previous_count = bound, count
    return previous_bound


def observed_range(points: list[dict]) -> tuple[float | None, float | None]:
    """The smallest ``min`` and largest ``max`` among ``points`` (``None`` where none says)."""
    lows = [p["min"] for p in points if isinstance(p.get("min"), (int, float))]
    highs = [p["max"] for p in points if isinstance(p.get("max"), (int, float))]
    return (min(lows) if lows else None), (max(highs) if highs else None)


def point_value(point: dict) -> float | None:
    """The headline number of one metric point: last for gauges, sum for counters, else mean."""
    kind, count, total = point.get("type"), point.get("count") or 0, point.get("sum")
    if kind == "counter":
        return total
    if kind in ("histogram", "timer"):
        return total / count if count and total is not None else None
    return point.get("last")
