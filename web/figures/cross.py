"""One metric across many sessions: its distribution and its mean/median/p95/max over time."""

from __future__ import annotations

from .common import PALETTE, empty, figure, integer_axis, plain, utc
from .stats import summary

__all__ = ["metric_distribution", "metric_series", "time_buckets", "SERIES_STATS", "BINS"]

#: Bins of the distribution (equal widths from the smallest to the largest value).
BINS = 20
#: The statistics drawn over time, in legend order.
SERIES_STATS = ("mean", "median", "p95", "max")


def metric_distribution(name: str, per_session: list[float], unit: str | None = None) -> dict:
    """A histogram of one value per session, with its mean, median and p95 marked."""
    if not per_session:
        return empty(f"No {name} samples in these sessions")
    stats = summary(per_session)
    marks = (("mean", PALETTE[1]), ("median", PALETTE[2]), ("p95", PALETTE[3]))
    lines = [{"type": "line", "xref": "x", "yref": "paper", "x0": stats[key], "x1": stats[key],
              "y0": 0, "y1": 1, "line": {"color": color, "dash": "dot", "width": 2}}
             for key, color in marks]
    labels = [{"x": stats[key], "xref": "x", "yref": "paper", "y": 1 - 0.09 * i, "text": key,
               "showarrow": False, "xanchor": "left", "font": {"color": color, "size": 11}}
              for i, (key, color) in enumerate(marks)]
    low, high = min(per_session), max(per_session)
    size = (high - low) / BINS if high > low else 1.0
    data = [{"type": "histogram", "name": "sessions", "x": per_session,
             "xbins": {"start": low, "end": high + size, "size": size},
             "marker": {"color": PALETTE[0]}, "hovertemplate": "%{x}: %{y} sessions<extra></extra>"}]
    label = plain(name) + (f" ({plain(unit)})" if unit else "")
    return figure(data, f"{name}: distribution over {len(per_session)} sessions", shapes=lines,
                  annotations=labels,
                  xaxis={"title": {"text": label}},
                  yaxis={"title": {"text": "sessions"}, **integer_axis(_tallest_bin(per_session,
                                                                                    low, size))},
                  height=300, bargap=0.05)


def _tallest_bin(values: list[float], low: float, size: float) -> int:
    """Sessions in the fullest of the histogram's bins (its y axis counts whole sessions)."""
    counts: dict[int, int] = {}
    for value in values:
        slot = int((value - low) // size)
        counts[slot] = counts.get(slot, 0) + 1
    return max(counts.values())


def time_buckets(points: list[tuple[float, float]], buckets: int = 40) -> list[tuple[float, list]]:
    """``(ts, value)`` pairs grouped into at most ``buckets`` equal time slices, in order."""
    if not points:
        return []
    first = min(ts for ts, _ in points)
    width = max((max(ts for ts, _ in points) - first) / buckets, 1e-6)
    grouped: dict[int, list] = {}
    for ts, value in points:
        grouped.setdefault(min(int((ts - first) / width), buckets - 1), []).append(value)
    return [(first + slot * width, grouped[slot]) for slot in sorted(grouped)]


def metric_series(name: str, points: list[tuple[float, float]], unit: str | None = None,
                  buckets: int = 40) -> dict:
    """Mean, median, p95 and max of every session's samples per time slice."""
    if not points:
        return empty(f"No {name} samples in these sessions")
    slices = time_buckets(points, buckets)
    x = [utc(start) for start, _ in slices]
    stats = [summary(values) for _, values in slices]
    data = [{"type": "scatter", "mode": "lines+markers", "name": key, "x": x,
             "y": [s[key] for s in stats], "line": {"color": PALETTE[i]}, "marker": {"size": 4}}
            for i, key in enumerate(SERIES_STATS)]
    return figure(data, f"{name} over time (UTC), all sessions", height=300,
                  xaxis={"type": "date"},
                  yaxis={"title": {"text": plain(unit or name)}})
