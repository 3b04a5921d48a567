"""The product page: its versions side by side, with their top crash reasons."""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict

from datacat.broker.store import SessionQuery, Store

from ..figures import CRASH_EVENT, adoption, version_comparison
from ..slicing import Matched, Slice
from .sliced import counted_rows, sliced_versions
from .summary import summarize
from .versions import chart_bucket, first_start, version_rows

__all__ = ["product_page", "crash_sample", "CrashSignatures", "CRASH_SAMPLE"]

#: Most recent crashed sessions of a product whose crash event is read for its reason.
CRASH_SAMPLE = 200
_TAIL = 5


class CrashSignatures:
    """``"ExceptionType: message"`` (or the stored reason) per crashed session, the latest
    ``CACHED`` kept: a crashed session does not change any more."""

    CACHED = 5 * CRASH_SAMPLE

    def __init__(self):
        self._cache: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()  # pages read in several threads of the read pool

    def get(self, store: Store, summary) -> str:
        signature = self._cache.get(summary.id)
        if signature is None:
            signature = _signature(store, summary)
            with self._lock:
                self._cache[summary.id] = signature
                while len(self._cache) > self.CACHED:
                    self._cache.popitem(last=False)
        return signature


def _signature(store: Store, summary) -> str:
    """The exception among the last few events (the crash event's own first), else the
    crash event's message, else the stored reason."""
    start = max(0, summary.events - _TAIL)
    fallback = None
    for event in reversed(store.read("events", summary.id, start, summary.events - start)):
        data = event.get("data") if isinstance(event.get("data"), dict) else {}
        exception = event.get("exception") or data.get("exception")
        if isinstance(exception, dict) and exception.get("type"):
            message = str(exception.get("message") or "").splitlines()[:1]
            return f"{exception['type']}: {message[0]}" if message else str(exception["type"])
        if event.get("name") == CRASH_EVENT and fallback is None:
            fallback = event.get("message")
    return str(fallback or summary.reason or "unknown")


def _top(counts: Counter, n: int) -> list[tuple[str, int]]:
    """The ``n`` most common, ties in name order (so the page does not shuffle)."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:n]


def crash_sample(store: Store, product: str) -> list:
    """Summaries of the ``CRASH_SAMPLE`` sessions of ``product`` that crashed last."""
    page = store.list_sessions(SessionQuery(product=product, status="crashed",
                                            limit=CRASH_SAMPLE))
    return [summarize(record) for record in page.items]


def _adoption(store: Store, product: str, rollups: list[dict], versions: list[str],
              now: float, matched: Matched | None) -> dict:
    """Sessions and machines per version per hour (the product's first three days) or day:
    the store's counts, or counted from a slice's ``matched`` sessions."""
    first = first_start(rollups, product) or now
    bucket = chart_bucket(first, now)
    rows = store.session_counts(bucket, first, now, product=product) if matched is None \
        else counted_rows(matched.sessions, bucket)
    return adoption(rows, versions, bucket)


def product_page(store: Store, product: str, signatures: CrashSignatures, now: float,
                 slice_: Slice | None = None) -> dict | None:
    """Per version: sessions, crash-free %, hang rate %, median length, top crash reasons,
    and adoption over time, of every session or of a slice's; ``None`` for a product never
    stored. Blocking: store reads."""
    rollups = store.products()
    versions, matched = version_rows(rollups, product), None
    if not versions:
        return None
    slice_ = slice_ or Slice()
    if slice_:
        versions, matched = sliced_versions(store, product, versions, slice_)
        crashed = [summarize(s) for s in matched.sessions if s["status"] == "crashed"]
        crashed = crashed[:CRASH_SAMPLE]
    else:
        crashed = crash_sample(store, product)
    reasons: dict[str, Counter] = {}
    for summary in crashed:
        reasons.setdefault(summary.version, Counter())[signatures.get(store, summary)] += 1
    rows = []
    for row in versions:
        total, version = row["total"], row["version"]
        rows.append({"version": version, "total": total,
                     "crashed": row["crashed"], "hung": row["hung"],
                     "crash_free": 100.0 * (total - row["crashed"]) / total if total else None,
                     "hang_rate": 100.0 * row["hung"] / total if total else None,
                     "median_seconds": row["median_seconds"],
                     "reasons": _top(reasons.get(version) or Counter(), 3)})
    overall = _top(sum(reasons.values(), Counter()), 5)
    return {"product": product, "rows": rows, "figure": version_comparison(rows),
            "adoption": _adoption(store, product, rollups, [r["version"] for r in rows], now,
                                  matched),
            "reasons": overall, "sampled": len(crashed), "crashed_total": sum(
                r["crashed"] for r in rows),
            "slice": slice_, "sliced": None if matched is None else matched.out()}
