"""The overview page's numbers and figures, from the store's rollups, counts and incidents."""

from __future__ import annotations

import hashlib
import json

from datacat.broker.store import STATUSES, Store

from ..figures import sessions_over_time, version_rates
from ..slicing import Slice, matching_sessions
from .sliced import counted_rows, sliced_incidents, sliced_rollups
from .summary import summarize
from .versions import chart_bucket, first_start, version_rows

__all__ = ["overview", "RECENT"]

#: Recent crashes and hangs listed.
RECENT = 10


def _hang_outcome(summary) -> str:
    """How a session's hang turned out: ``still hung``, ``recovered``, or what the session
    did while hung (``ended while hung``, ``lost while hung``...)."""
    if summary.status == "hung":
        return "still hung"
    if summary.hang_recovered:
        return "recovered"
    return f"{summary.status} while hung"


def _incident(row: dict) -> dict:
    """A crash row shows the crash and its reason, a hang row the hang and its outcome."""
    summary = summarize(row["session"])
    crashed = summary.status == "crashed"
    return {"id": summary.id, "product": summary.product, "version": summary.version,
            "status": "crashed" if crashed else "hung", "kind": "crash" if crashed else "hang",
            "at": row["at"], "reason": summary.reason if crashed else _hang_outcome(summary)}


def overview(store: Store, now: float, slice_: Slice | None = None) -> dict:
    """Totals and live counts, the two overview figures, recent incidents and products, of
    every session (from the store's rollups, counts and incidents) or of a slice's.

    Blocking (store reads). Sessions over time are counted per hour while every version's
    first session started within three days, per day otherwise. ``generation`` changes
    whenever a number on the page does.
    """
    matched = matching_sessions(store, slice_) if slice_ else None
    rollups = store.products() if matched is None else sliced_rollups(matched)
    first = first_start(rollups)
    bucket = chart_bucket(first, now)
    counts: dict[tuple[float, str], int] = {}
    if first is None:
        rows = []
    elif matched is None:
        rows = store.session_counts(bucket, first, now)
    else:
        rows = counted_rows(matched.sessions, bucket)
    for row in rows:
        for status, n in row["by_status"].items():
            counts[(row["at"], status)] = counts.get((row["at"], status), 0) + n
    by_status = {status: sum(r["by_status"].get(status, 0) for r in rollups)
                 for status in STATUSES}
    versions = version_rows(rollups)
    products: dict[str, int] = {}
    for row in versions:
        products[row["product"]] = products.get(row["product"], 0) + row["total"]
    data = {
        "total": sum(r["total"] for r in rollups), "by_status": by_status,
        "live": by_status["active"] + by_status["hung"],
        "ever_hung": sum(row["hung"] for row in versions),
        "figures": {"over_time": sessions_over_time(counts, bucket),
                    "rates": version_rates(versions)},
        "recent": [_incident(row) for row in (store.incidents(RECENT) if matched is None
                                              else sliced_incidents(matched, RECENT))],
        "products": [{"product": p, "total": n} for p, n in sorted(products.items())],
        "sliced": None if matched is None else matched.out(),
    }
    data["generation"] = hashlib.sha1(json.dumps(
        [by_status, data["recent"], versions], sort_keys=True, default=str).encode()
    ).hexdigest()[:12]
    return data
