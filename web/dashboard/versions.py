"""Per-version rows of the overview and product pages, from the store's write-time rollups."""

from __future__ import annotations

from datacat.broker.store.timeline import DAY, HOUR

__all__ = ["version_rows", "first_start", "chart_bucket"]


def first_start(rollups: list[dict], product: str | None = None) -> float | None:
    """The earliest first session among the versions (of ``product``) that have sessions."""
    return min((r["first_seen"] for r in rollups if r["total"] and r.get("first_seen")
                and (product is None or r["product"] == product)), default=None)


def chart_bucket(first: float | None, now: float) -> int:
    """Charts over time count per hour while ``first`` is within three days, else per day."""
    return HOUR if first is None or now - first <= 3 * DAY else DAY


def version_rows(rollups: list[dict], product: str | None = None) -> list[dict]:
    """``{product, version, total, crashed, hung, median_seconds}`` per version with
    sessions, in release order (first session's start) within each product."""
    rows = [r for r in rollups if r["total"] > 0 and (product is None or r["product"] == product)]
    rows.sort(key=lambda r: (r["product"], r.get("first_seen") or 0.0, r["version"]))
    return [{"product": r["product"], "version": r["version"], "total": r["total"],
             "crashed": r["by_status"].get("crashed", 0), "hung": r["hung_sessions"],
             "median_seconds": r.get("median_duration")} for r in rows]
