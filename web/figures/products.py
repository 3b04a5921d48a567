"""The product page figure: its versions side by side on four measures."""

from __future__ import annotations

from .common import PALETTE, empty, figure, plain

__all__ = ["version_comparison", "MEASURES"]

#: ``(row field, panel title, hover format)`` of each panel, left to right, top to bottom.
MEASURES = (("total", "sessions", "%{y}"),
            ("crash_free", "crash-free %", "%{y:.1f}%"),
            ("hang_rate", "hang rate %", "%{y:.1f}%"),
            ("median_seconds", "median length (s)", "%{y:.1f} s"))


def version_comparison(rows: list[dict]) -> dict:
    """Four bar panels (sessions, crash-free %, hang rate %, median length) per version.

    ``rows`` are ``{version, total, crash_free, hang_rate, median_seconds}`` in release order.
    """
    if not rows:
        return empty("No sessions for this product")
    versions = [plain(r["version"]) for r in rows]
    data, layout = [], {}
    for index, (field, title, fmt) in enumerate(MEASURES):
        axis = "" if index == 0 else str(index + 1)
        data.append({"type": "bar", "name": title, "x": versions, "y": [r.get(field) for r in rows],
                     "xaxis": "x" + axis, "yaxis": "y" + axis, "showlegend": False,
                     "marker": {"color": PALETTE[index]},
                     "hovertemplate": f"%{{x}}: {fmt}<extra>{title}</extra>"})
        layout["xaxis" + axis] = {"type": "category"}
        layout["yaxis" + axis] = {"title": {"text": title}, "rangemode": "tozero"}
    return figure(data, None, grid={"rows": 2, "columns": 2, "pattern": "independent",
                                    "ygap": 0.35, "xgap": 0.15}, height=460, **layout)
