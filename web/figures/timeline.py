"""The session timeline: state changes, events by level, exceptions, hangs and the crash."""

from __future__ import annotations

from .common import LEVEL_COLORS, LEVEL_ORDER, STATUS_COLORS, figure, plain, utc

__all__ = ["session_timeline", "CRASH_EVENT"]

#: The event the store logs when a session crashes.
CRASH_EVENT = "session_crashed"
_TEXT = 160


def _short(text: object) -> str:
    text = "" if text is None else str(text)
    return plain(text if len(text) <= _TEXT else text[:_TEXT] + "…")


def _markers(name: str, row: str, points: list[tuple], color: str, symbol: str = "circle") -> dict:
    """One scatter trace on timeline row ``row``; ``points`` are ``(ts, key, hover)``."""
    return {"type": "scatter", "mode": "markers", "name": plain(name),
            "x": [utc(ts) for ts, _, _ in points], "y": [row] * len(points),
            "customdata": [key for _, key, _ in points],
            "hovertext": [hover for _, _, hover in points], "hoverinfo": "x+text",
            "marker": {"color": color, "symbol": symbol, "size": 11,
                       "line": {"width": 1, "color": "rgba(0,0,0,0.35)"}}}


def _spans(episodes: list[dict], end: float, name: str, color: str) -> list[dict]:
    """Shaded rectangles for hang or suspend episodes (an open one runs to ``end``)."""
    return [{"type": "rect", "xref": "x", "yref": "paper", "y0": 0, "y1": 1,
             "x0": utc(e.get("start")), "x1": utc(e.get("end") or end), "layer": "below",
             "fillcolor": color, "opacity": 0.22, "line": {"width": 0},
             "name": name, "showlegend": index == 0, "legendgroup": name}
            for index, e in enumerate(episodes) if e.get("start") is not None]


def session_timeline(session: dict, events: list[dict], changes: list[dict], now: float) -> dict:
    """A zoomable timeline: one row per kind; every point carries ``["e", seq]`` (an event)
    or ``["s", index]`` (a state change) as ``customdata`` for click-through.

    ``changes`` are ``{"index", "ts", "patch"}`` history entries; ``now`` closes open spans.
    """
    by_level: dict[str, list] = {}
    exceptions, crashes = [], []
    for event in events:
        hover = f"<b>{_short(event.get('name'))}</b>"
        if event.get("message"):
            hover += "<br>" + _short(event["message"])
        point = (event.get("ts"), ["e", event.get("seq")], hover)
        if event.get("name") == CRASH_EVENT:
            crashes.append(point)
        elif event.get("exception"):
            exceptions.append(point)
        else:
            by_level.setdefault(str(event.get("level") or "info"), []).append(point)
    changed = [(c["ts"], ["s", c["index"]], "state: " + _short(", ".join(map(str, c["patch"]))))
               for c in changes]
    if session.get("status") == "crashed" and not crashes and session.get("ended_at"):
        crashes.append((session["ended_at"], None, "crash: " + _short(session.get("reason"))))
    levels = [lv for lv in LEVEL_ORDER if lv in by_level] + sorted(set(by_level) - set(LEVEL_ORDER))
    data = [_markers("state change", "state", changed, "#56b4e9", "diamond")] if changed else []
    data += [_markers(level, plain(level), by_level[level], LEVEL_COLORS.get(level, "#8c8c8c"))
             for level in levels]
    if exceptions:
        data.append(_markers("exception", "exception", exceptions, LEVEL_COLORS["error"], "x"))
    if crashes:
        data.append(_markers("crash", "crash", crashes, STATUS_COLORS["crashed"], "star"))
    rows = [t["y"][0] for t in data]
    end = session.get("ended_at") or now
    shapes = _spans(session.get("hangs") or [], end, "hang", STATUS_COLORS["hung"])
    shapes += _spans(session.get("suspends") or [], end, "suspended", STATUS_COLORS["suspended"])
    shapes += [{"type": "line", "xref": "x", "yref": "paper", "x0": utc(ts), "x1": utc(ts),
                "y0": 0, "y1": 1, "line": {"color": STATUS_COLORS["crashed"], "width": 2}}
               for ts, _, _ in crashes]
    xaxis = {"type": "date"}
    if not data and session.get("created_at"):
        xaxis["range"] = [utc(session["created_at"]), utc(end)]
    return figure(data, None, shapes=shapes, dragmode="zoom", height=120 + 34 * max(len(rows), 2),
                  xaxis=xaxis,
                  yaxis={"type": "category", "categoryorder": "array", "categoryarray": rows,
                         "fixedrange": True, "automargin": True},
                  showlegend=True)
