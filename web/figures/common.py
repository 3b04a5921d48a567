"""What every figure builder shares: escaping, times, colours and a theme-neutral layout.

Figures are plain dicts (``{"data": [...], "layout": {...}}``) that ``plotly.js`` draws as
they are; colours of text and grid come from the page theme in the browser.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime

__all__ = ["plain", "short", "utc", "figure", "empty", "STATUS_COLORS", "LEVEL_COLORS", "STATUS_ORDER",
           "LEVEL_ORDER", "PALETTE", "NEUTRAL_COLOR", "REGRESSION_COLOR", "integer_axis",
           "steady_range"]

#: Statuses in stacking order, with their colours, the same on every page and chart (the
#: stylesheet reads them as ``--status-<name>``): crashed red, hung amber, ended green.
STATUS_ORDER = ("active", "hung", "suspended", "lost", "ended", "crashed")
STATUS_COLORS = {"active": "#2f7ed8", "hung": "#e69f00", "suspended": "#8c8c8c",
                 "lost": "#a56cc1", "ended": "#3aa17e", "crashed": "#d62728"}
#: Measures that count no status (sessions, durations), and the outline of a regression.
NEUTRAL_COLOR = "#56b4e9"
REGRESSION_COLOR = "#cc79a7"
#: Event levels from least to most severe, with their colours.
LEVEL_ORDER = ("debug", "info", "warning", "error", "critical")
LEVEL_COLORS = {"debug": "#8c8c8c", "info": "#2f7ed8", "warning": "#e69f00",
                "error": "#d55e00", "critical": "#b0003a"}
PALETTE = ("#2f7ed8", "#e69f00", "#3aa17e", "#d55e00", "#a56cc1", "#56b4e9", "#cc79a7", "#8c8c8c")


def plain(value: object) -> str:
    """``value`` as text plotly.js shows literally (it reads a little HTML in labels)."""
    return html.escape("" if value is None else str(value), quote=False)


def short(text: str, limit: int = 32) -> str:
    """``text`` cut to ``limit`` characters (with an ellipsis), then escaped like ``plain``."""
    return plain(text if len(text) <= limit else text[:limit - 1] + "…")


def utc(ts: float | None) -> str | None:
    """Epoch seconds → ``"YYYY-MM-DD HH:MM:SS.ffffff"`` (UTC), the form a date axis reads."""
    if ts is None:
        return None
    try:
        return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    except (OverflowError, OSError, ValueError, TypeError):
        return None


def figure(data: list, title: str | None = None, **layout) -> dict:
    """A figure with a transparent, compact layout; ``uirevision`` keeps zoom across updates.

    The legend sits at the bottom of the figure, below the axis labels however tall they are.
    """
    base = {
        "margin": {"l": 56, "r": 16, "t": 40 if title else 16, "b": 80},
        "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
        "legend": {"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom",
                   "x": 0, "xanchor": "left"},
        "hovermode": "closest", "uirevision": "keep", "autosize": True,
    }
    if title:
        base["title"] = {"text": plain(title), "x": 0, "xanchor": "left", "font": {"size": 14}}
    base.update(layout)
    return {"data": data, "layout": base}


def integer_axis(top: float, ticks: int = 5) -> dict:
    """Axis settings for counts from 0 to ``top``: ticks on whole numbers only (1, 2 or 5
    times a power of ten apart, at most about ``ticks`` of them)."""
    scale = 1
    while True:
        for step in (scale, 2 * scale, 5 * scale):
            if top / step <= ticks:
                return {"tickmode": "linear", "tick0": 0, "dtick": step, "rangemode": "tozero"}
        scale *= 10


def steady_range(values: list) -> list[float] | None:
    """A y range for ``values`` at least a tenth of their magnitude tall, so that a line
    varying by a hair (250.05 → 250.1) draws flat instead of being zoomed into a jump; it
    stays above 0 when the values do. ``None`` without numbers."""
    known = [v for v in values if isinstance(v, (int, float))]
    if not known:
        return None
    low, high = min(known), max(known)
    margin = max((high - low) * 0.1, 0.05 * max(abs(low), abs(high))) or 1.0
    bottom = low - margin
    return [max(0.0, bottom) if low >= 0 else bottom, high + margin]


def empty(message: str) -> dict:
    """A blank figure that says why it is blank."""
    return figure([], xaxis={"visible": False}, yaxis={"visible": False}, annotations=[{
        "text": plain(message), "showarrow": False, "xref": "paper", "yref": "paper",
        "x": 0.5, "y": 0.5, "font": {"size": 14}}])
