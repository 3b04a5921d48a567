"""Release health of a product version, from its write-time rollup (pure).

``crash_free_sessions`` = 1 − crashed sessions / sessions; ``crash_free_machines`` = 1 −
machines with a crashed session / machines; ``hang_free_*`` the same for sessions that ever
hung. ``None`` where there is nothing to divide by (docs/dashboard.md, "Release health").
"""

from __future__ import annotations

__all__ = ["health_out", "RATES"]

RATES = ("crash_free_sessions", "crash_free_machines", "hang_free_sessions",
         "hang_free_machines")


def _share_without(part: int, whole: int) -> float | None:
    return None if whole <= 0 else max(0.0, 1.0 - part / whole)


def health_out(rollup: dict) -> dict:
    """The rollup, its zero status counts left out, with the four rates."""
    return dict(rollup, by_status={k: n for k, n in rollup["by_status"].items() if n},
                crash_free_sessions=_share_without(rollup["by_status"].get("crashed", 0),
                                                   rollup["total"]),
                crash_free_machines=_share_without(rollup["crashed_machines"],
                                                   rollup["machines"]),
                hang_free_sessions=_share_without(rollup["hung_sessions"], rollup["total"]),
                hang_free_machines=_share_without(rollup["hung_machines"], rollup["machines"]))
