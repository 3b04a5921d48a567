"""Store records → REST shapes (pure): RFC 3339 UTC times, the original's field names."""

from __future__ import annotations

from .timefmt import to_rfc3339

__all__ = ["session_out", "event_out", "metric_out", "history_out"]

_TIMES = ("created_at", "updated_at", "ended_at", "last_heartbeat", "received_at")
_PLAIN = ("id", "product", "version", "status", "reason", "machine_id", "hostname", "pid",
          "parent_session_id", "hang_timeout", "event_count", "metric_count", "history_count",
          "hang_count", "suspend_count")


def session_out(session: dict) -> dict:
    """A session record without its streams: our fields plus the original's status flags.

    ``active`` is true while the app runs (status ``active`` or ``hung``).
    """
    status = session.get("status")
    out = {field: session.get(field) for field in _PLAIN}
    out.update({field: to_rfc3339(session.get(field)) for field in _TIMES})
    out.update(
        active=status in ("active", "hung"), suspended=status == "suspended",
        crashed=status == "crashed", hung=status == "hung", ended=status == "ended",
        lost=status == "lost", tags=session.get("tags") or {},
        hangs=_episodes(session.get("hangs")), suspends=_episodes(session.get("suspends")),
    )
    return out


def _episodes(episodes: list | None) -> list[dict]:
    """Hang or suspend episodes with RFC 3339 times (``end`` is null while one lasts)."""
    return [dict(episode, start=to_rfc3339(episode.get("start")),
                 end=to_rfc3339(episode.get("end"))) for episode in episodes or ()]


def event_out(event: dict) -> dict:
    """An event as ``/api/v1`` shows it."""
    return {
        "seq": event.get("seq"), "timestamp": to_rfc3339(event.get("ts")),
        "received_at": to_rfc3339(event.get("recv")), "name": event.get("name"),
        "level": event.get("level"), "category": event.get("category"),
        "labels": event.get("labels") or [], "message": event.get("message"),
        "data": event.get("data"), "exception": event.get("exception"),
    }


def metric_out(point: dict) -> dict:
    """One metric point (a per-window aggregate) plus ``value``, its headline number.

    ``value`` is the last sample for gauges, the sum for counters and the mean for
    histograms and timers.
    """
    kind, count, total = point.get("type"), point.get("count") or 0, point.get("sum")
    if kind == "counter":
        value = total
    elif kind in ("histogram", "timer"):
        value = total / count if count and total is not None else None
    else:
        value = point.get("last")
    out = {field: point.get(field) for field in
           ("name", "type", "unit", "count", "sum", "min", "max", "last", "buckets")}
    out.update(timestamp=to_rfc3339(point.get("ts")), value=value, tags=point.get("tags") or {})
    if point.get("metadata"):
        out["metadata"] = point["metadata"]
    return out


def history_out(entry: dict, index: int) -> dict:
    """One state-history entry (a patch) with its position in the session's history."""
    return {"index": index, "timestamp": to_rfc3339(entry.get("ts")), "patch": entry.get("patch")}
