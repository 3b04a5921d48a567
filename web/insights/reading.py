"""What ``/api/v1/series`` and ``/api/v1/annotations`` read from the store (blocking).

A series whose step is a whole number of hours is summed from ``Store.session_counts``
(whole hour or day buckets); a finer step, the crash reasons and a slice (``tag``,
``state``, ``machine``) walk the sessions started in the range (the crashed ones only, for
reasons), at most ``WALK_CAP`` of them.
"""

from __future__ import annotations

import time
from itertools import chain, islice

from datacat.broker.store import SessionQuery, Store
from datacat.broker.store.timeline import DAY, HOUR

from ..dashboard.summary import summarize
from ..dashboard.versions import first_start
from ..slicing import Slice
from .annotations import crash_notes, hang_notes, release_notes
from .series import build_series, series_from_counts

__all__ = ["read_series", "read_annotations", "WALK_CAP", "INCIDENT_CAP"]

#: Most sessions a fine-grained series reads.
WALK_CAP = 20_000
#: Most incidents (crashed or hung sessions), and most sessions hung now, one
#: annotations answer reads.
INCIDENT_CAP = 5000


def read_series(store: Store, metric: str, start: float, end: float, step: float,
                product: str | None, version: str | None, slice_: Slice) -> dict:
    """``{"columns", "rows", "sampled"}``: ``sampled`` when ``WALK_CAP`` cut the walk short."""
    if metric != "crash_reasons" and step % HOUR == 0 and not slice_:
        bucket = DAY if step % DAY == 0 else HOUR
        first = first_start(store.products())
        # counts are read only where sessions can be: from the first one to about now
        since, until = max(start, first or end), min(end, time.time() + DAY)
        rows = store.session_counts(bucket, since, until, product, version) \
            if since <= until else []
        return {**series_from_counts(metric, rows, start, end, step, product), "sampled": False}
    query = SessionQuery(product=product, version=version, since=start, until=end, limit=500,
                         status="crashed" if metric == "crash_reasons" else None)
    walked = list(islice(store.iter_sessions(query), WALK_CAP))
    picked = [summarize(record) for record in (slice_.select(store, walked) if slice_ else walked)]
    return {**build_series(metric, picked, start, end, step, product),
            "sampled": len(walked) == WALK_CAP}


def _incident_sessions(store: Store, kinds: list[str], start: float, end: float,
                       product: str | None, version: str | None, slice_: Slice):
    """``(incident time or None, session)``: the sessions whose latest incident falls in the
    range, then (for hangs) those hung now, each once, of the product, version and slice
    asked."""
    rows = ((row["at"], row["session"]) for row in store.incidents(INCIDENT_CAP, start, end))
    if "hang" in kinds:
        hung = SessionQuery(product=product, version=version, status="hung", limit=500)
        rows = chain(rows, ((None, record) for record in
                            islice(store.iter_sessions(hung), INCIDENT_CAP)))
    seen = set()
    for at, session in rows:
        if session["id"] in seen or (product is not None and session["product"] != product) \
                or (version is not None and session["version"] != version):
            continue
        seen.add(session["id"])
        if not slice_ or slice_.matches(store, session):
            yield at, session


def read_annotations(store: Store, kinds: list[str], start: float, end: float,
                     product: str | None, version: str | None, slice_: Slice) -> list[dict]:
    """Notes of the ``kinds`` asked for within ``start..end``, in no order: releases (not
    in a slice: a release is a version's), and the crashes and hang episodes of the
    sessions whose latest incident falls in the range or that are hung now."""
    notes = []
    if "release" in kinds and not slice_:
        notes += release_notes(store.products(), start, end, product, version)
    if "crash" in kinds or "hang" in kinds:
        for at, session in _incident_sessions(store, kinds, start, end, product, version,
                                              slice_):
            summary = summarize(session)
            if "crash" in kinds and at is not None and summary.status == "crashed":
                notes.append(crash_notes(summary, at))
            if "hang" in kinds:
                notes += hang_notes(summary, session, start, end)
    return notes
