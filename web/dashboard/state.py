"""``Dashboard``: the index and caches one app serves pages from, refreshed in the background."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict

from datacat.broker.store import Store

from .index import SessionIndex, fetch_changes
from .probes import Probes
from .product import CrashSignatures

__all__ = ["Dashboard", "MIN_INTERVAL"]

log = logging.getLogger("datacat.web.dashboard")

#: Seconds between index refreshes at least; a slow refresh (many live sessions) waits
#: ten times as long as it took, so polling never takes more than a tenth of a core.
MIN_INTERVAL = 1.0


class Dashboard:
    """Lives in ``app.ctx.dashboard`` between server start and stop."""

    def __init__(self, store: Store):
        self.store = store
        self.index = SessionIndex()
        self.probes = Probes()
        self.signatures = CrashSignatures()
        self.listing_cache: OrderedDict = OrderedDict()
        self.ready = asyncio.Event()
        self.last_refresh = 0.0  # seconds the last refresh took
        self._stop = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def refresh(self) -> None:
        """Read what changed in a worker thread, then apply it here, on the event loop."""
        index = self.index
        changes = await asyncio.to_thread(fetch_changes, self.store, index.by_id.__contains__,
                                          index.live_ids())
        index.apply(changes)
        self.ready.set()

    async def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                await self.refresh()
            except Exception as exc:  # noqa: BLE001 - keep serving what the index holds
                log.warning("dashboard refresh failed: %r", exc)
            self.last_refresh = time.monotonic() - started
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stop.wait(), max(MIN_INTERVAL, 10 * self.last_refresh))

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Finish the refresh under way (it reads the store, which closes next), then stop."""
        self._stop.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, 30)
            except TimeoutError:
                log.warning("dashboard refresh did not finish before shutdown")
