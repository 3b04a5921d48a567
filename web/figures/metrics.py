"""One session's metric charts, one per metric name, drawn according to its type."""

from __future__ import annotations

from .common import PALETTE, figure, integer_axis, steady_range, utc
from .stats import bucket_percentile, merge_buckets, observed_range, point_value

__all__ = ["metric_figures", "PERCENTILES"]

#: Percentiles shown for histograms.
PERCENTILES = (50, 90, 99)


def _title(name: str, kind: str, unit: str | None) -> str:
    return f"{name} ({kind}{', ' + unit if unit else ''})"


def _band(points: list[dict], color: str, value_name: str) -> list[dict]:
    """A line of each point's headline value inside a shaded min–max band."""
    x = [utc(p.get("ts")) for p in points]
    line = {"type": "scatter", "mode": "lines+markers", "name": value_name, "x": x,
            "y": [point_value(p) for p in points], "line": {"color": color}, "marker": {"size": 4}}
    low = {"type": "scatter", "mode": "lines", "name": "min", "x": x,
           "y": [p.get("min") for p in points], "line": {"width": 0}, "showlegend": False,
           "hoverinfo": "skip"}
    high = {"type": "scatter", "mode": "lines", "name": "min–max", "x": x,
            "y": [p.get("max") for p in points], "line": {"width": 0}, "fill": "tonexty",
            "fillcolor": "rgba(128,128,128,0.25)", "hoverinfo": "skip"}
    return [low, high, line]


def _counter(points: list[dict], color: str) -> list[dict]:
    """Rate per second (per window) as bars on the left axis, the running total as a line on
    the right one (drawn on top)."""
    x, totals, rates, total, previous = [], [], [], 0.0, None
    for point in points:
        total += point.get("sum") or 0
        start = previous if previous is not None else point.get("t0")
        span = (point["ts"] - start) if start is not None else 0
        rates.append((point.get("sum") or 0) / span if span > 0 else None)
        x.append(utc(point["ts"]))
        totals.append(total)
        previous = point["ts"]
    return [{"type": "bar", "name": "rate /s", "x": x, "y": rates,
             "marker": {"color": PALETTE[1]}, "opacity": 0.45},
            {"type": "scatter", "mode": "lines+markers", "name": "total", "x": x, "y": totals,
             "yaxis": "y2", "line": {"color": color, "shape": "hv", "width": 3}}]


def _histogram(points: list[dict], color: str) -> tuple[list[dict], str]:
    """Bucket counts (merged over the session) and the percentiles they imply, within the
    observed min and max."""
    buckets, (low, high) = merge_buckets(points), observed_range(points)
    labels, counts, below = [], [], 0
    for bound, cumulative in buckets:
        labels.append("≤ " + ("+Inf" if bound == float("inf") else f"{bound:g}"))
        counts.append(cumulative - below)
        below = cumulative
    marks = ", ".join(f"p{q} {value:.3g}" for q in PERCENTILES
                      if (value := bucket_percentile(buckets, q, low, high)) is not None)
    return [{"type": "bar", "name": "samples", "x": labels, "y": counts,
             "marker": {"color": color}}], marks


def metric_figures(points: list[dict]) -> list[dict]:
    """``[{"name", "type", "figure"}]`` for the metric points of one session, by name.

    Gauges show the last value per window and timers the mean, both in a min–max band on
    an axis at least a tenth of their magnitude tall; counters their running total (on
    whole-number ticks when it counts whole things) and rate; histograms bucket counts and
    percentiles.
    """
    series: dict[str, list[dict]] = {}
    for point in sorted(points, key=lambda p: p.get("ts") or 0):
        series.setdefault(str(point.get("name")), []).append(point)
    out = []
    for index, (name, items) in enumerate(sorted(series.items())):
        kind = items[-1].get("type") or "gauge"
        unit = next((p["unit"] for p in items if p.get("unit")), None)
        color = PALETTE[index % len(PALETTE)]
        title = _title(name, kind, unit)
        layout: dict = {"xaxis": {"type": "date"}, "height": 260, "showlegend": True}
        if kind == "counter":
            data = _counter(items, color)
            layout["yaxis2"] = {"overlaying": "y", "side": "right", "showgrid": False,
                                "rangemode": "tozero", "title": {"text": "total"}}
            totals = data[1]["y"]
            if all(float(total).is_integer() for total in totals):
                layout["yaxis2"].update(integer_axis(max(totals, default=0)))
            layout["margin"] = {"l": 56, "r": 56, "t": 40, "b": 80}
            layout["yaxis"] = {"title": {"text": "per s"}, "rangemode": "tozero"}
        elif kind == "histogram" and any(p.get("buckets") for p in items):
            data, marks = _histogram(items, color)
            title += f" — {marks}" if marks else ""
            layout["xaxis"] = {"type": "category"}
            layout["yaxis"] = integer_axis(max(data[0]["y"], default=0))
        else:
            data = _band(items, color, "last" if kind == "gauge" else "mean")
            span = steady_range([v for trace in data for v in trace["y"]])
            if span is not None:
                layout["yaxis"] = {"range": span}
        out.append({"name": name, "type": kind,
                    "figure": figure(data, title, **layout)})
    return out
