"""What DataCat's own long-running processes share (never applied inside an app)."""

from __future__ import annotations

import gc
import signal
from collections.abc import Callable

__all__ = ["collect_rarely", "on_stop_signals"]


def on_stop_signals(stop: Callable[[], object]) -> None:
    """Call ``stop`` on SIGTERM and SIGINT; ``stop`` must only set a flag."""
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop())


def collect_rarely() -> None:
    """The daemon and ingest workers make millions of short-lived, acyclic lists and maps:
    freeze what start-up built and run the cyclic collector far less often."""
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
