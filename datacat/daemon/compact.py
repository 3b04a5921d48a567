"""Spool pressure relief (pure): merge consecutive batches, rolling metrics up, dropping events.

Lifecycle records, open records, state patches and error events always survive; metric
aggregates of the same series merge into one spanning the merged windows (or go, with
``drop_metrics``); events (maps of a version-1 batch, or rows, whose level is read from
their bytes) of the levels named in ``drop_levels`` go. Drops are counted by reason.
"""

from __future__ import annotations

from collections import Counter

from ..protocol import row_level

__all__ = ["merge_batches", "merge_points"]


def merge_batches(batches: list[dict], drop_levels: frozenset = frozenset(),
                  drop_metrics: bool = False) -> tuple[dict, Counter]:
    """One batch carrying what ``batches`` (oldest first, one daemon) carried; and the drops."""
    drops: Counter = Counter()
    sessions: dict[str, dict] = {}
    for batch in batches:
        for sid, part in batch["sessions"].items():
            into = sessions.setdefault(sid, {})
            if "open" in part:
                into.setdefault("open", part["open"])
            for name in ("state", "metrics", "lifecycle"):
                if part.get(name):
                    into.setdefault(name, []).extend(part[name])
            for name, level_of in (("events", _map_level), ("event_rows", row_level)):
                kept = []
                for event in part.get(name, ()):
                    level = level_of(event)
                    if level in drop_levels:
                        drops[f"spool_{level}_events"] += 1
                    else:
                        kept.append(event)
                if kept:
                    into.setdefault(name, []).extend(kept)
            if part.get("beat") is not None:
                into["beat"] = max(part["beat"], into.get("beat") or 0)
    for part in sessions.values():
        if "metrics" in part and drop_metrics:
            drops["spool_metric_aggregates"] += len(part.pop("metrics"))
        elif "metrics" in part:
            before = len(part["metrics"])
            part["metrics"] = merge_points(part["metrics"])
            drops["spool_metric_points_rolled_up"] += before - len(part["metrics"])
    merged = dict(batches[-1], sessions=sessions)
    return merged, +drops


def _map_level(event: dict) -> object:
    return event.get("level", "info")


def _series(point: dict) -> tuple:
    bounds = tuple(str(le) for le, _ in point.get("buckets") or ())
    return (point["name"], point["type"], point.get("unit"), repr(point.get("tags")), bounds)


def merge_points(points: list[dict]) -> list[dict]:
    """Aggregate points of the same series (and bucket bounds) into one each, in first-seen order."""
    merged: dict[tuple, dict] = {}
    for point in points:
        key = _series(point)
        into = merged.get(key)
        if into is None:
            merged[key] = dict(point)
            continue
        into["t0"] = min(into.get("t0", into["ts"]), point.get("t0", point["ts"]))
        if point["ts"] >= into["ts"]:
            into["ts"], into["last"] = point["ts"], point.get("last")
        into["count"] += point["count"]
        into["sum"] += point["sum"]
        for name, pick in (("min", min), ("max", max)):
            values = [v for v in (into.get(name), point.get(name)) if v is not None]
            into[name] = pick(values) if values else None
        if into.get("buckets"):
            into["buckets"] = [[le, a + b] for (le, a), (_, b) in
                               zip(into["buckets"], point["buckets"])]
    return list(merged.values())
