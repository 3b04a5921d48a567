"""Tuning for DataCat's own long-running processes (never applied inside an app)."""

from __future__ import annotations

import gc

__all__ = ["collect_rarely"]


def collect_rarely() -> None:
    """The daemon and ingest workers make millions of short-lived, acyclic lists and maps:
    freeze what start-up built and run the cyclic collector far less often."""
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
