"""Metric families for the pipeline's peers (daemons, ingest workers) from their records.

A ``PeerKind`` is a table: which of a peer's reported numbers become counters, gauges or
counters by reason. Peers are labelled by id and host; a number a peer did not report is
left out, so older peers and newer metrics mix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

__all__ = ["PeerKind", "peer_families"]


@dataclass(frozen=True)
class PeerKind:
    """How one kind of peer is exported. Tables map a key of ``numbers(record)`` to
    ``(metric name, help)``; counter names are given without ``_total``."""

    label: str  # "daemon" or "worker"
    count: tuple  # (name, help) of the gauge counting the peers
    numbers: Callable[[dict], dict]  # record -> {key: number or {reason: number}}
    counters: dict = field(default_factory=dict)
    gauges: dict = field(default_factory=dict)
    by_reason: dict = field(default_factory=dict)


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def peer_families(kind: PeerKind, records: list[dict]) -> list:
    """Every family of ``kind`` for ``records`` (families without samples included)."""
    labels = [kind.label, "host"]
    counters = {key: CounterMetricFamily(name, doc, labels=labels)
                for key, (name, doc) in kind.counters.items()}
    gauges = {key: GaugeMetricFamily(name, doc, labels=labels)
              for key, (name, doc) in kind.gauges.items()}
    by_reason = {key: CounterMetricFamily(name, doc, labels=[*labels, "reason"])
                 for key, (name, doc) in kind.by_reason.items()}
    count = GaugeMetricFamily(*kind.count)
    count.add_metric([], len(records))
    for record in records:
        values = [str(record.get("id")), str(record.get("host") or "")]
        numbers = kind.numbers(record)
        for key, family in [*counters.items(), *gauges.items()]:
            if (value := _number(numbers.get(key))) is not None:
                family.add_metric(values, value)
        for key, family in by_reason.items():
            reasons = numbers.get(key)
            for reason, n in (reasons.items() if isinstance(reasons, dict) else ()):
                if (value := _number(n)) is not None:
                    family.add_metric([*values, str(reason)], value)
    return [count, *gauges.values(), *counters.values(), *by_reason.values()]
