"""The product page: its versions side by side, with their top crash reasons."""

from __future__ import annotations

from collections import Counter

from datacat.broker.store import Store

from ..figures import CRASH_EVENT, percentile, version_comparison
from .index import SessionIndex

__all__ = ["product_page", "crash_sample", "CrashSignatures", "CRASH_SAMPLE"]

#: Most recent crashed sessions of a product whose crash event is read for its reason.
CRASH_SAMPLE = 200
_TAIL = 5


class CrashSignatures:
    """``"ExceptionType: message"`` (or the stored reason) per crashed session, cached:
    a crashed session does not change any more."""

    def __init__(self):
        self._cache: dict[str, str] = {}

    def get(self, store: Store, summary) -> str:
        signature = self._cache.get(summary.id)
        if signature is None:
            signature = self._cache[summary.id] = _signature(store, summary)
        return signature

    def warm(self, store: Store, summaries) -> None:
        """Read the signatures of ``summaries`` not cached yet (off the event loop)."""
        for summary in summaries:
            self.get(store, summary)


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


def crash_sample(summaries) -> list:
    """The ``CRASH_SAMPLE`` latest crashed sessions among ``summaries``."""
    return sorted((s for s in summaries if s.status == "crashed"),
                  key=lambda s: s.incident or 0, reverse=True)[:CRASH_SAMPLE]


def product_page(index: SessionIndex, store: Store, product: str, now: float,
                 signatures: CrashSignatures) -> dict:
    """Per version: sessions, crash-free %, hang rate %, median length, top crash reasons."""
    summaries = [s for s in index.by_id.values() if s.product == product]
    crashed = crash_sample(summaries)
    reasons: dict[str, Counter] = {}
    for summary in crashed:
        reasons.setdefault(summary.version, Counter())[signatures.get(store, summary)] += 1
    lengths: dict[str, list[float]] = {}
    for summary in summaries:
        if summary.ended is not None:
            lengths.setdefault(summary.version, []).append(summary.duration(now))
    rows = []
    for row in index.rollup.version_rows(product):
        total, version = row["total"], row["version"]
        rows.append({"version": version, "total": total,
                     "crashed": row["crashed"], "hung": row["hung"],
                     "crash_free": 100.0 * (total - row["crashed"]) / total if total else None,
                     "hang_rate": 100.0 * row["hung"] / total if total else None,
                     "median_seconds": percentile(lengths.get(version, []), 50),
                     "reasons": _top(reasons.get(version) or Counter(), 3)})
    overall = _top(sum(reasons.values(), Counter()), 5)
    return {"product": product, "rows": rows, "figure": version_comparison(rows),
            "reasons": overall, "sampled": len(crashed), "crashed_total": sum(
                r["crashed"] for r in rows)}
