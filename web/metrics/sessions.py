"""Session metric families, all from the store's write-time rollups: counts by status,
crash-free and hang-free rates, sessions that ever hung and hang episodes."""

from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily

from datacat.broker.store import STATUSES

__all__ = ["rollup_families", "hang_families"]

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


def hang_families(rollups: list[dict]) -> list:
    """Hang-free rates, sessions that ever hung and hang episodes per version."""
    hang_free = GaugeMetricFamily(
        "datacat_session_hang_free_ratio",
        "Share of a version's sessions that never hung: 1 - ever_hung / total.", labels=_PV)
    ever_hung = GaugeMetricFamily("datacat_sessions_ever_hung",
                                  "Sessions with at least one hang episode.", labels=_PV)
    episodes = GaugeMetricFamily("datacat_hang_episodes",
                                 "Hang episodes recorded in the version's sessions.", labels=_PV)
    for rollup in rollups:
        pair = [str(rollup["product"]), str(rollup["version"])]
        total, hung = rollup.get("total") or 0, rollup.get("hung_sessions") or 0
        if total:
            hang_free.add_metric(pair, 1.0 - hung / total)
        ever_hung.add_metric(pair, hung)
        episodes.add_metric(pair, rollup.get("hang_episodes") or 0)
    return [hang_free, ever_hung, episodes]
