"""Overview figures: sessions over time by status; crash-free and hang-free rate per version."""

from __future__ import annotations

from .common import (
    REGRESSION_COLOR,
    STATUS_COLORS,
    STATUS_ORDER,
    empty,
    figure,
    integer_axis,
    plain,
    short,
    utc,
)

__all__ = ["sessions_over_time", "version_rates", "REGRESSION_POINTS"]

#: A version whose crash-free or hang-free rate is this many points below the previous
#: version of its product is marked as a regression.
REGRESSION_POINTS = 2.0


def sessions_over_time(counts: dict[tuple[float, str], int], bucket_seconds: float) -> dict:
    """Stacked bars of sessions started per bucket, one trace per status.

    ``counts`` maps ``(bucket start, status)`` to a number of sessions.
    """
    if not counts:
        return empty("No sessions yet")
    starts = sorted({start for start, _ in counts})
    present = {status for _, status in counts}
    statuses = [s for s in STATUS_ORDER if s in present] + sorted(present - set(STATUS_ORDER))
    data = [{
        "type": "bar", "name": plain(status), "x": [utc(start) for start in starts],
        "y": [counts.get((start, status), 0) for start in starts],
        "marker": {"color": STATUS_COLORS.get(status, "#8c8c8c")},
        "hovertemplate": f"%{{y}} {plain(status)}<extra></extra>",
    } for status in statuses]
    unit = "hour" if bucket_seconds <= 3600 else "day"
    tallest = max(sum(trace["y"][i] for trace in data) for i in range(len(starts)))
    return figure(data, f"Sessions started per {unit} (UTC), by status", barmode="stack",
                  bargap=0.1, xaxis={"type": "date"},
                  yaxis={"title": {"text": "sessions"}, **integer_axis(tallest)})


def _rate(part: int, total: int) -> float | None:
    return None if not total else round(100.0 * (total - part) / total, 2)


def version_rates(rows: list[dict]) -> dict:
    """Crash-free and hang-free session rate (%) per product and version.

    ``rows`` are ``{product, version, total, crashed, hung}`` in release order within each
    product; a version ``REGRESSION_POINTS`` or more below the previous one of its product
    gets a thick outline and ``regressed`` in its hover text.
    """
    if not rows:
        return empty("No sessions yet")
    labels = [f"{plain(r['product'])} {plain(r['version'])}" for r in rows]
    data = []
    for name, field, color in (("crash-free", "crashed", STATUS_COLORS["ended"]),
                               ("hang-free", "hung", STATUS_COLORS["hung"])):
        rates = [_rate(r.get(field, 0), r.get("total", 0)) for r in rows]
        regressed = [_regressed(rows, rates, i) for i in range(len(rows))]
        data.append({
            "type": "bar", "name": name, "x": labels, "y": rates,
            "customdata": [[r.get("total", 0), "regressed" if flag else ""]
                           for r, flag in zip(rows, regressed)],
            "marker": {"color": color,
                       "line": {"color": REGRESSION_COLOR,
                                "width": [3 if flag else 0 for flag in regressed]}},
            "hovertemplate": f"%{{x}}<br>{name}: %{{y:.1f}}% of %{{customdata[0]}}"
                             " <b>%{customdata[1]}</b><extra></extra>",
        })
    known = [v for trace in data for v in trace["y"] if v is not None]
    low = max(0.0, min(known, default=0.0) - 5.0)
    ticks = [f"{short(r['product'], 20)}<br>{short(r['version'], 16)}" for r in rows]
    return figure(data, "Crash-free and hang-free sessions per version", barmode="group",
                  xaxis={"type": "category", "tickvals": labels, "ticktext": ticks,
                         "automargin": True},
                  yaxis={"title": {"text": "% of sessions"}, "range": [low, 100.5]})


def _regressed(rows: list[dict], rates: list, index: int) -> bool:
    """True when ``rates[index]`` fell at least ``REGRESSION_POINTS`` below its predecessor."""
    if index == 0 or rows[index - 1]["product"] != rows[index]["product"]:
        return False
    before, now = rates[index - 1], rates[index]
    return before is not None and now is not None and before - now >= REGRESSION_POINTS
