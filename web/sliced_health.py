"""Release health of a slice: the rollup figures counted from its matching sessions, then
the same rates as ``release_health`` (blocking: call it off the event loop)."""

from __future__ import annotations

from datacat.broker.store import Store

from .figures.stats import percentile
from .release_health import health_out
from .slicing import Matched, Slice, matching_sessions

__all__ = ["count_rollup", "sliced_health", "median_seconds"]


def count_rollup(product: str, version: str, sessions: list[dict]) -> dict:
    """What ``Store.products`` keeps for a version, counted from ``sessions`` (one version's)."""
    by_status: dict[str, int] = {}
    machines: dict[str, int] = {}  # machine id -> bits: 1 seen, 2 crashed, 4 hung
    hung = 0
    for session in sessions:
        status = session.get("status")
        by_status[status] = by_status.get(status, 0) + 1
        ever_hung = bool(session.get("hang_count"))
        hung += ever_hung
        machine = session.get("machine_id")
        if isinstance(machine, str) and machine:
            machines[machine] = machines.get(machine, 0) | 1 | (2 if status == "crashed" else 0) \
                | (4 if ever_hung else 0)
    return {"product": product, "version": version, "total": len(sessions),
            "by_status": by_status, "hung_sessions": hung, "machines": len(machines),
            "crashed_machines": sum(1 for bits in machines.values() if bits & 2),
            "hung_machines": sum(1 for bits in machines.values() if bits & 4)}


def median_seconds(sessions: list[dict]) -> float | None:
    """The median length of the sessions that ended (``ended_at − created_at``)."""
    return percentile([max(0.0, s["ended_at"] - s["created_at"]) for s in sessions
                       if isinstance(s.get("ended_at"), (int, float))
                       and isinstance(s.get("created_at"), (int, float))], 50)


def sliced_health(store: Store, slice_: Slice, pairs: list[tuple[str, str]],
                  product: str | None = None, version: str | None = None
                  ) -> tuple[list[dict], Matched]:
    """``health_out`` (plus ``median_seconds``) of each ``(product, version)`` of ``pairs``
    over the slice's sessions, found among the newest of ``product``/``version``."""
    matched = matching_sessions(store, slice_, product, version)
    grouped: dict[tuple, list[dict]] = {pair: [] for pair in pairs}
    for session in matched.sessions:
        key = (session.get("product"), session.get("version"))
        if key in grouped:
            grouped[key].append(session)
    items = [dict(health_out(count_rollup(p, v, grouped[(p, v)])),
                  median_seconds=median_seconds(grouped[(p, v)])) for p, v in pairs]
    return items, matched
