"""Broker metrics from its counters endpoint (``WebSettings.broker_stats``), asked per scrape.

The broker reports messages and bytes through each side of its proxy since it started,
and how many daemons CurveZMQ refused.
"""

from __future__ import annotations

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

__all__ = ["broker_families"]

_SIDES = ("frontend", "backend")
_DIRECTIONS = ("in", "out")


def broker_families(stats: dict | None, configured: bool) -> list:
    """``datacat_broker_up`` (only when an endpoint is configured) and, when it answered,
    ``datacat_broker_messages_total`` / ``_bytes_total`` by side and direction."""
    if not configured:
        return []
    up = GaugeMetricFamily("datacat_broker_up", "1 if the broker answered this scrape's question.")
    up.add_metric([], 0 if stats is None else 1)
    if stats is None:
        return [up]
    families = [up]
    for unit, doc in (("messages", "Messages"), ("bytes", "Bytes")):
        family = CounterMetricFamily(f"datacat_broker_{unit}",
                                     f"{doc} through the broker since it started (frontend: "
                                     "daemons, backend: ingest workers).",
                                     labels=["side", "direction"])
        for side in _SIDES:
            for direction in _DIRECTIONS:
                value = stats.get(f"{side}_{unit}_{direction}")
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    family.add_metric([side, direction], value)
        families.append(family)
    refused = stats.get("auth_refused")
    if isinstance(refused, (int, float)) and not isinstance(refused, bool):
        family = CounterMetricFamily("datacat_broker_auth_refused",
                                     "Daemons the broker's CurveZMQ check refused.")
        family.add_metric([], refused)
        families.append(family)
    return families
