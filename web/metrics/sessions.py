"""Session metric families: counts by status and crash-free rates from the store's
write-time rollups; hang figures from the index digest (the rollups do not keep them)."""

from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily

from datacat.broker.store import STATUSES

__all__ = ["rollup_families", "digest_families"]

_PV = ["product", "version"]


def rollup_families(rollups: list[dict]) -> list:
    """``datacat_sessions{product,version,status}`` and ``datacat_session_crash_free_ratio``."""
    sessions = GaugeMetricFamily("datacat_sessions", "Sessions stored, by current status.",
                                 labels=[*_PV, "status"])
    crash_free = GaugeMetricFamily(
        "datacat_session_crash_free_ratio",
        "Share of a version's sessions that did not crash: 1 - crashed / total.", labels=_PV)
    for rollup in rollups:
        pair = [str(rollup["product"]), str(rollup["version"])]
        by_status = rollup.get("by_status") or {}
        for status in STATUSES:
            sessions.add_metric([*pair, status], by_status.get(status, 0))
        total = rollup.get("total") or 0
        if total:
            crash_free.add_metric(pair, 1.0 - by_status.get("crashed", 0) / total)
    return [sessions, crash_free]


def digest_families(digest) -> list:
    """Hang-free rates, sessions that ever hung, hang episodes, and the index's size."""
    hang_free = GaugeMetricFamily(
        "datacat_session_hang_free_ratio",
        "Share of a version's sessions that never hung: 1 - ever_hung / total.", labels=_PV)
    ever_hung = GaugeMetricFamily("datacat_sessions_ever_hung",
                                  "Sessions with at least one hang episode.", labels=_PV)
    episodes = GaugeMetricFamily("datacat_hang_episodes",
                                 "Hang episodes recorded in the version's sessions.", labels=_PV)
    indexed = GaugeMetricFamily("datacat_index_sessions",
                                "Sessions in the web app's index (the hang figures' base).")
    ready = GaugeMetricFamily("datacat_index_ready",
                              "1 once the index is built; 0 means no hang figures yet.")
    ready.add_metric([], 0 if digest is None else 1)
    if digest is None:
        return [ready]
    for (product, version), stats in sorted(digest.versions.items()):
        pair = [str(product), str(version)]
        hang_free.add_metric(pair, stats.free(stats.ever_hung))
        ever_hung.add_metric(pair, stats.ever_hung)
        episodes.add_metric(pair, stats.episodes)
    indexed.add_metric([], digest.sessions)
    return [hang_free, ever_hung, episodes, indexed, ready]
