"""The overview and product page in a slice (``tag``, ``state``, ``machine``): their
figures counted from the slice's sessions instead of the store's rollups, counts and
incidents (blocking: call it off the event loop)."""

from __future__ import annotations

from datacat.broker.store import STATUSES, Store
from datacat.broker.store.timeline import incident_time

from ..sliced_health import count_rollup, median_seconds, sliced_health
from ..slicing import Matched, Slice

__all__ = ["sliced_versions", "counted_rows", "sliced_rollups", "sliced_incidents"]


def sliced_versions(store: Store, product: str, order: list[dict], slice_: Slice
                    ) -> tuple[list[dict], Matched]:
    """``version_rows`` of ``product`` (in the release ``order`` given) over the slice's
    sessions, and what finding them examined."""
    items, matched = sliced_health(store, slice_, [(product, r["version"]) for r in order],
                                   product)
    return [{"product": product, "version": item["version"], "total": item["total"],
             "crashed": item["by_status"].get("crashed", 0), "hung": item["hung_sessions"],
             "median_seconds": item["median_seconds"]} for item in items], matched


def counted_rows(sessions: list[dict], bucket: int) -> list[dict]:
    """``Store.session_counts`` rows (by status and machines) counted from ``sessions``."""
    cells: dict[tuple, dict] = {}
    for session in sessions:
        created = session.get("created_at")
        if not isinstance(created, (int, float)):
            continue
        key = (float(int(created // bucket) * bucket), session["product"], session["version"])
        cell = cells.setdefault(key, {"by_status": {}, "machines": set()})
        status = session["status"] if session.get("status") in STATUSES else "active"
        cell["by_status"][status] = cell["by_status"].get(status, 0) + 1
        if isinstance(session.get("machine_id"), str) and session["machine_id"]:
            cell["machines"].add(session["machine_id"])
    return [{"at": at, "product": product, "version": version, "by_status": cell["by_status"],
             "machines": len(cell["machines"])}
            for (at, product, version), cell in sorted(cells.items())]


def sliced_rollups(matched: Matched) -> list[dict]:
    """``Store.products`` rows (with ``first_seen`` and ``median_duration``) counted from
    the slice's sessions."""
    grouped: dict[tuple[str, str], list[dict]] = {}
    for session in matched.sessions:
        grouped.setdefault((session["product"], session["version"]), []).append(session)
    return [dict(count_rollup(product, version, sessions),
                 first_seen=min(s["created_at"] for s in sessions),
                 median_duration=median_seconds(sessions))
            for (product, version), sessions in sorted(grouped.items())]


def sliced_incidents(matched: Matched, limit: int) -> list[dict]:
    """``Store.incidents`` among the slice's sessions: the ``limit`` latest, newest first."""
    found = [{"at": at, "session": s} for s in matched.sessions
             if (at := incident_time(s)) is not None]
    return sorted(found, key=lambda row: -row["at"])[:limit]
