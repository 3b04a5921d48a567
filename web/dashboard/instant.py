"""What the session timeline shows for a clicked point: the state then, diffed with before."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from datacat.broker.store import Store
from datacat.merge import deep_merge

from .statetree import Node, state_tree

__all__ = ["Instant", "change_at", "history_index_at", "instant_for_change", "instant_for_event"]

#: History entries read back at most to find patches sharing a clicked patch's time.
_TIES = 256


@dataclass
class Instant:
    """A state change (``index``) or an event, with the state then marked against before."""

    ts: float | None
    index: int | None = None
    event: dict | None = None
    patch: dict | None = None
    nodes: list[Node] = field(default_factory=list)
    truncated: bool = False


def change_at(store: Store, sid: str, index: int) -> tuple[float, dict, dict, dict] | None:
    """``(ts, state before, state after, patch)`` of history entry ``index``.

    The state before is ``state_at`` just before its time plus the earlier patches that
    share that time (exact while patch times do not go backwards).
    """
    low = max(0, index - _TIES)
    window = store.read("history", sid, low, index - low + 1)
    if len(window) != index - low + 1:
        return None
    ts = window[-1]["ts"]
    first = len(window) - 1
    while first > 0 and window[first - 1]["ts"] == ts:
        first -= 1
    state = store.state_at(sid, math.nextafter(ts, -math.inf))  # every patch before ``ts``
    for entry in window[first:-1]:
        state = deep_merge(state, entry["patch"])
    return ts, state, deep_merge(state, window[-1]["patch"]), window[-1]["patch"]


def history_index_at(store: Store, sid: str, count: int, ts: float) -> int:
    """The last history entry at or before ``ts`` (binary search, one read per step); -1: none."""
    low, high = 0, count - 1
    found = -1
    while low <= high:
        middle = (low + high) // 2
        entry = store.read("history", sid, middle, 1)
        if entry and entry[0]["ts"] <= ts:
            found, low = middle, middle + 1
        else:
            high = middle - 1
    return found


def instant_for_change(store: Store, session: dict, index: int) -> Instant | None:
    """The state after change ``index``, diffed with the state before it."""
    change = change_at(store, session["id"], index)
    if change is None:
        return None
    ts, before, after, patch = change
    nodes, truncated = state_tree(after, before)
    return Instant(ts, index=index, patch=patch, nodes=nodes, truncated=truncated)


def instant_for_event(store: Store, session: dict, seq: int) -> Instant | None:
    """Event ``seq`` and the state at its time, diffed with the state before the last change."""
    found = store.read("events", session["id"], seq, 1)
    if not found:
        return None
    event = found[0]
    index = history_index_at(store, session["id"], session.get("history_count") or 0,
                             event.get("ts") or 0)
    instant = instant_for_change(store, session, index) if index >= 0 else None
    if instant is None:
        instant = Instant(None)
    instant.ts, instant.event = event.get("ts"), event
    return instant
