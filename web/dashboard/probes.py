"""Filters that read more than a session's summary: its state, or the names of its events.

Both read the store per candidate session, so a page examines at most ``MAX_PROBES``
candidates and says where it stopped. Event names are cached per session and reused
while its event count is unchanged.
"""

from __future__ import annotations

from collections import OrderedDict

from datacat.broker.store import Store

from .filters import state_match
from .summary import Summary

__all__ = ["Probes", "MAX_PROBES", "EVENT_SCAN"]

#: Candidate sessions one page request may examine with a state or event filter.
MAX_PROBES = 300
#: Most recent events per session searched for an event name.
EVENT_SCAN = 20_000
_CACHE = 20_000


class Probes:
    """The state and event-name tests of one filter, with a cache shared between requests."""

    def __init__(self):
        self._names: OrderedDict[str, tuple[int, frozenset]] = OrderedDict()

    def event_names(self, store: Store, summary: Summary) -> frozenset:
        """The distinct names among the session's last ``EVENT_SCAN`` events."""
        cached = self._names.get(summary.id)
        if cached is not None and cached[0] == summary.events:
            self._names.move_to_end(summary.id)
            return cached[1]
        start = max(0, summary.events - EVENT_SCAN)
        names = frozenset(str(e.get("name")) for e in
                          store.read("events", summary.id, start, summary.events - start))
        self._names[summary.id] = (summary.events, names)
        if len(self._names) > _CACHE:
            self._names.popitem(last=False)
        return names

    def tester(self, store: Store, state: str, event: str):
        """``test(summary) -> bool`` for the state and event filters, or ``None`` if neither."""
        if not state and not event:
            return None
        state_test = state_match(state)[1] if state else None

        def test(summary: Summary) -> bool:
            if event and event not in self.event_names(store, summary):
                return False
            return state_test is None or state_test(store.get_state(summary.id))

        return test
