"""Prometheus ``/metrics``: sessions, rates and hangs per version, daemon and ingest counters."""

from __future__ import annotations

from .collector import Metrics, Snapshot, StoreCollector
from .daemons import DAEMONS
from .peers import PeerKind, peer_families
from .sessions import hang_families, rollup_families
from .workers import WORKERS

__all__ = ["Metrics", "Snapshot", "StoreCollector", "rollup_families", "hang_families",
           "PeerKind", "peer_families", "DAEMONS", "WORKERS"]
