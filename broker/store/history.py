"""State patches into a history log with a snapshot every ``BLOCK`` entries (every backend)."""

from __future__ import annotations

from datacat.merge import deep_merge, diff

from .codec import BLOCK

__all__ = ["merge_entries", "replay"]


def merge_entries(state: dict, entries: list[dict], count: int) -> tuple[dict, list, dict]:
    """Merge ``entries`` into ``state`` after ``count`` logged ones.

    Returns the new state, the entries to log (a patch that changes nothing is not) and
    the snapshots to keep: ``{n: state before logged entry n * BLOCK}``.
    """
    logged: list[dict] = []
    snapshots: dict[int, dict] = {}
    for entry in entries:
        merged = deep_merge(state, entry["patch"])
        if not diff(state, merged):  # a no-op (``==`` would also call 1 -> True one)
            continue
        position = count + len(logged)
        if position % BLOCK == 0:
            snapshots[position // BLOCK] = state
        logged.append(entry)
        state = merged
    return state, logged, snapshots


def replay(state: dict, entries) -> dict:
    """``state`` with the patch of each history entry of ``entries`` merged in, in order."""
    for entry in entries:
        state = deep_merge(state, entry["patch"])
    return state
