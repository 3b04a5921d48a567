"""The product page's adoption figure: sessions and machines per version over time."""

from __future__ import annotations

from .common import PALETTE, empty, figure, integer_axis, plain, utc

__all__ = ["adoption"]


def adoption(rows: list[dict], versions: list[str], bucket_seconds: float) -> dict:
    """Two stacked line panels per version: sessions started, and distinct machines that
    started one, per hour or day. ``rows`` are ``Store.session_counts`` rows of one
    product; ``versions`` their release order (colours follow it)."""
    if not rows:
        return empty("No sessions for this product")
    starts = sorted({row["at"] for row in rows})
    cells = {(row["at"], row["version"]): row for row in rows}
    unit = "hour" if bucket_seconds <= 3600 else "day"
    data, tallest = [], {"sessions": 0, "machines": 0}
    for axis, field, title in (("", "sessions", "Sessions started"),
                               ("2", "machines", "Machines that started one")):
        for index, version in enumerate(versions):
            values = []
            for start in starts:
                row = cells.get((start, version))
                values.append(0 if row is None else sum(row["by_status"].values())
                              if field == "sessions" else row["machines"])
            tallest[field] = max(tallest[field], max(values, default=0))
            data.append({"type": "scatter", "mode": "lines+markers" if len(starts) < 3 else "lines",
                         "name": plain(version), "legendgroup": plain(version),
                         "showlegend": axis == "", "x": [utc(start) for start in starts],
                         "y": values, "xaxis": "x" + axis, "yaxis": "y" + axis,
                         "line": {"color": PALETTE[index % len(PALETTE)]},
                         "hovertemplate": f"%{{y}} {title.lower()}: %{{fullData.name}}"
                                          "<extra></extra>"})
    return figure(data, f"Adoption per {unit} (UTC): sessions and machines per version",
                  grid={"rows": 2, "columns": 1, "pattern": "independent", "ygap": 0.25},
                  height=460, xaxis={"type": "date"}, xaxis2={"type": "date"},
                  yaxis={"title": {"text": "sessions"}, **integer_axis(tallest["sessions"])},
                  yaxis2={"title": {"text": "machines"}, **integer_axis(tallest["machines"])})
