"""``Metrics``: one registry per app: the store collector, web counters, process stats.

The store collector's gauges are computed at scrape time from a ``Snapshot`` the
``/metrics`` handler reads first (store calls in a thread);
``expose`` then renders it with ``prometheus_client``'s own encoder.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, ProcessCollector
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from .broker import broker_families
from .daemons import DAEMONS
from .issues import issue_families
from .peers import peer_families
from .sessions import hang_families, rollup_families
from .workers import WORKERS

__all__ = ["Snapshot", "StoreCollector", "Metrics"]


@dataclass
class Snapshot:
    """What one scrape reports: rollups, daemon and worker records, and the broker's
    counters (``broker_configured``: whether it was asked at all)."""

    rollups: list
    daemons: list
    workers: list
    broker: dict | None = None
    broker_configured: bool = False
    issues: list | None = None


class StoreCollector(Collector):
    """Families computed from the snapshot of the scrape under way."""

    def __init__(self):
        self.snapshot: Snapshot | None = None

    def collect(self):
        snapshot = self.snapshot
        if snapshot is None:
            return
        yield from rollup_families(snapshot.rollups)
        yield from issue_families(snapshot.issues, snapshot.rollups)
        yield from hang_families(snapshot.rollups)
        yield from peer_families(DAEMONS, snapshot.daemons)
        yield from peer_families(WORKERS, snapshot.workers)
        yield from broker_families(snapshot.broker, snapshot.broker_configured)


class Metrics:
    """``app.ctx.metrics``: the registry ``/metrics`` renders, and the web's own counters."""

    def __init__(self):
        self.registry = CollectorRegistry(auto_describe=False)
        self.store = StoreCollector()
        self.registry.register(self.store)
        ProcessCollector(namespace="datacat_web", registry=self.registry)
        self.auth_failures = Counter(
            "datacat_web_auth_failures", "Requests the auth guard refused, by reason.",
            ["reason"], registry=self.registry)

    def count_auth_failure(self, reason: str) -> None:
        self.auth_failures.labels(reason).inc()

    def expose(self, snapshot: Snapshot, accept: str = "") -> tuple[bytes, str]:
        """``(body, content type)`` for ``snapshot`` in the format ``accept`` asks for.

        Synchronous on purpose: the snapshot is set and rendered with no await between,
        so concurrent scrapes cannot see each other's.
        """
        encoder, content_type = choose_encoder(accept)
        self.store.snapshot = snapshot
        try:
            return encoder(self.registry), content_type
        finally:
            self.store.snapshot = None
