"""Retention: delete the sessions first stored more than the configured days ago.

The ingest workers run it (``IngestWorker.expire``): every pass deletes at most
``PER_PASS`` sessions, oldest first, through ``Store.delete_older_than`` per product, so a
backlog drains over several passes and ingest never waits long. Several workers may run it
at once: a session is deleted, and counted, once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .store import Store

__all__ = ["Retention", "DAY", "PER_PASS"]

DAY = 86400.0
#: Sessions a pass deletes at most.
PER_PASS = 500


@dataclass(frozen=True)
class Retention:
    """``days`` for every product (0: keep forever), ``products`` overriding it by name."""

    days: float = 0.0
    products: dict = field(default_factory=dict)

    def periods(self) -> list[float]:
        return [days for days in (self.days, *self.products.values()) if days > 0]

    def every(self) -> float | None:
        """Seconds between passes: a hundredth of the shortest period, from 1 s to 2 minutes
        (a session outlives its period by at most about that); ``None`` when everything is
        kept forever."""
        periods = self.periods()
        return None if not periods else min(120.0, max(1.0, min(periods) * DAY / 100))

    def run(self, store: Store, now: float, limit: int = PER_PASS) -> int:
        """One pass: delete up to ``limit`` expired sessions; returns how many."""
        deleted = 0
        for product in sorted({row["product"] for row in store.products()}):
            days = self.products.get(product, self.days)
            if days > 0 and deleted < limit:
                deleted += store.delete_older_than(now - days * DAY, product, limit - deleted)
        return deleted
