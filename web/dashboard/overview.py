"""The overview page's numbers and figures, all from the index (no store reads)."""

from __future__ import annotations

import heapq
from operator import itemgetter

from datacat.broker.store import STATUSES

from ..figures import sessions_over_time, version_rates
from .index import SessionIndex
from .rollup import DAY, HOUR

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


def _incident(summary) -> dict:
    """A crash row shows the crash and its reason, a hang row the hang and its outcome."""
    crashed = summary.status == "crashed"
    return {"id": summary.id, "product": summary.product, "version": summary.version,
            "status": "crashed" if crashed else "hung", "kind": "crash" if crashed else "hang",
            "at": summary.incident,
            "reason": summary.reason if crashed else _hang_outcome(summary)}


def overview(index: SessionIndex, now: float) -> dict:
    """Totals and live counts, the two overview figures, recent incidents and products.

    Sessions over time are counted per hour while all of them started within three days,
    per day otherwise.
    """
    rollup = index.rollup
    first = index.first_created()
    bucket = HOUR if first is None or now - first <= 3 * DAY else DAY
    counts = rollup.hours if bucket == HOUR else rollup.days
    by_status = {status: rollup.by_status.get(status, 0) for status in STATUSES}
    versions = rollup.version_rows()
    products: dict[str, int] = {}
    for row in versions:
        products[row["product"]] = products.get(row["product"], 0) + row["total"]
    recent = heapq.nlargest(RECENT, rollup.incidents.items(), key=itemgetter(1))
    return {
        "total": len(index), "by_status": by_status,
        "live": by_status["active"] + by_status["hung"],
        "ever_hung": sum(row["hung"] for row in versions),
        "figures": {"over_time": sessions_over_time(dict(counts), bucket),
                    "rates": version_rates(versions)},
        "recent": [_incident(index.by_id[sid]) for sid, _ in recent if sid in index.by_id],
        "products": [{"product": p, "total": n} for p, n in sorted(products.items())],
        "generation": index.generation,
    }
