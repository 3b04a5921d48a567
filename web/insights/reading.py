"""What ``/api/v1/series`` and ``/api/v1/annotations`` read from the store (blocking).

A series whose step is a whole number of hours is summed from ``Store.session_counts``
(whole hour or day buckets); a finer step, and the crash reasons, walk the sessions
started in the range (the crashed ones only, for reasons), at most ``WALK_CAP`` of them.
"""

from __future__ import annotations

from itertools import islice

from datacat.broker.store import SessionQuery, Store
from datacat.broker.store.timeline import DAY, HOUR

from ..dashboard.summary import summarize
from .annotations import crash_notes, hang_notes, release_notes
from .series import build_series, series_from_counts

__all__ = ["read_series", "read_annotations", "WALK_CAP", "INCIDENT_CAP"]

#: Most sessions a fine-grained series reads.
WALK_CAP = 20_000
#: Most incidents (crashed or hung sessions) one annotations answer reads.
INCIDENT_CAP = 5000


def read_series(store: Store, metric: str, start: float, end: float, step: float,
                product: str | None, version: str | None) -> dict:
    """``{"columns", "rows", "sampled"}``: ``sampled`` when ``WALK_CAP`` cut the walk short."""
    if metric != "crash_reasons" and step % HOUR == 0:
        bucket = DAY if step % DAY == 0 else HOUR
        rows = store.session_counts(bucket, start, end, product, version)
        return {**series_from_counts(metric, rows, start, end, step, product), "sampled": False}
    query = SessionQuery(product=product, version=version, since=start, until=end, limit=500,
                         status="crashed" if metric == "crash_reasons" else None)
    picked = [summarize(record) for record in islice(store.iter_sessions(query), WALK_CAP)]
    return {**build_series(metric, picked, start, end, step, product),
            "sampled": len(picked) == WALK_CAP}


def read_annotations(store: Store, kinds: list[str], start: float, end: float,
                     product: str | None, version: str | None) -> list[dict]:
    """Notes of the ``kinds`` asked for within ``start..end``, in no order: crashes and hang
    episodes of the sessions whose latest incident falls in the range, and releases."""
    notes = []
    if "release" in kinds:
        notes += release_notes(store.products(), start, end, product, version)
    if "crash" in kinds or "hang" in kinds:
        for row in store.incidents(INCIDENT_CAP, since=start, until=end):
            summary = summarize(row["session"])
            if (product is not None and summary.product != product) or \
                    (version is not None and summary.version != version):
                continue
            if "crash" in kinds and summary.status == "crashed":
                notes.append(crash_notes(summary, row["at"]))
            if "hang" in kinds:
                notes += hang_notes(summary, row["session"], start, end)
    return notes
