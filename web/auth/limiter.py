"""``FailureLimiter``: after too many failed attempts, a client address waits."""

from __future__ import annotations

from collections import OrderedDict, deque

__all__ = ["FailureLimiter"]


class FailureLimiter:
    """At most ``limit`` failed attempts per client address within ``window`` seconds.

    Past that, ``retry_after`` is positive until the oldest failure leaves the window.
    Memory is bounded: beyond ``max_clients`` addresses the least recently failing is
    forgotten. Time is passed in (``now``), never read here.
    """

    def __init__(self, limit: int = 10, window: float = 60.0, max_clients: int = 10_000):
        self.limit = limit
        self.window = window
        self.max_clients = max_clients
        self._failures: OrderedDict[str, deque] = OrderedDict()

    def _recent(self, client: str, now: float) -> deque | None:
        times = self._failures.get(client)
        if times is None:
            return None
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[client]
            return None
        return times

    def retry_after(self, client: str, now: float) -> float:
        """Seconds ``client`` must wait before its next attempt counts (0: go ahead)."""
        times = self._recent(client, now)
        if times is None or len(times) < self.limit:
            return 0.0
        return max(0.0, times[-self.limit] + self.window - now)

    def fail(self, client: str, now: float) -> None:
        """Record one failed attempt by ``client``."""
        times = self._recent(client, now)
        if times is None:
            times = self._failures[client] = deque(maxlen=self.limit)
        times.append(now)
        self._failures.move_to_end(client)
        while len(self._failures) > self.max_clients:
            self._failures.popitem(last=False)
