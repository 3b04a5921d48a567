"""The product page figure: its versions side by side on four measures."""

from __future__ import annotations

from .common import NEUTRAL_COLOR, STATUS_COLORS, empty, figure, plain

__all__ = ["version_comparison", "MEASURES"]

#: ``(row field, panel title, value format, colour)`` of each panel, left to right, top to
#: bottom: crash-free is healthy (green), a hang rate takes the hung colour (amber).
MEASURES = (("total", "Sessions", "{:.0f}", NEUTRAL_COLOR),
            ("crash_free", "Crash-free sessions %", "{:.1f}%", STATUS_COLORS["ended"]),
            ("hang_rate", "Hang rate %", "{:.1f}%", STATUS_COLORS["hung"]),
            ("median_seconds", "Median length (s)", "{:.1f} s", NEUTRAL_COLOR))


def _label(fmt: str, value) -> str:
    return "" if value is None else fmt.format(value)


def version_comparison(rows: list[dict]) -> dict:
    """Four titled bar panels (sessions, crash-free %, hang rate %, median length) per
    version, each bar labelled with its value. An axis starts at 0 and its zero line is
    drawn in the panel's colour, so a 0 % rate shows as a line at 0, not an empty chart.

    ``rows`` are ``{version, total, crash_free, hang_rate, median_seconds}`` in release order.
    """
    if not rows:
        return empty("No sessions for this product")
    versions = [plain(r["version"]) for r in rows]
    data, layout, titles = [], {}, []
    for index, (field, title, fmt, color) in enumerate(MEASURES):
        axis = "" if index == 0 else str(index + 1)
        values = [r.get(field) for r in rows]
        data.append({"type": "bar", "name": title, "x": versions, "y": values,
                     "xaxis": "x" + axis, "yaxis": "y" + axis, "showlegend": False,
                     "marker": {"color": color}, "text": [_label(fmt, v) for v in values],
                     "textposition": "outside", "cliponaxis": False,
                     "hovertemplate": f"%{{x}}: %{{text}}<extra>{title}</extra>"})
        top = max((v for v in values if v is not None), default=0) or 1
        layout["xaxis" + axis] = {"type": "category"}
        layout["yaxis" + axis] = {"range": [0, top * 1.2], "zeroline": True,
                                  "zerolinecolor": color, "zerolinewidth": 3}
        titles.append({"text": f"<b>{title}</b>", "showarrow": False, "xref": f"x{axis} domain",
                       "yref": f"y{axis} domain", "x": 0, "xanchor": "left", "y": 1.02,
                       "yanchor": "bottom", "font": {"size": 13}})
    return figure(data, None, grid={"rows": 2, "columns": 2, "pattern": "independent",
                                    "ygap": 0.4, "xgap": 0.15}, height=480, annotations=titles,
                  margin={"l": 56, "r": 16, "t": 32, "b": 48}, **layout)
