"""The product page in a slice (``tag``, ``state``, ``machine``): its per-version figures
and adoption counted from the slice's sessions instead of the store's rollups and counts."""

from __future__ import annotations

from datacat.broker.store import STATUSES, Store

from ..sliced_health import sliced_health
from ..slicing import Matched, Slice

__all__ = ["sliced_versions", "counted_rows"]


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
