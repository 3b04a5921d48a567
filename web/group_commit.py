"""Group commit: concurrent REST writes share store transactions, off the event loop.

One writer thread per app applies the writes queued while its previous group was being
written, all at once, through ``apply_each`` (at most one write per session in each
store transaction; a session's later writes follow in order). A write therefore waits at
most for the group in flight, and the loop hands writes over without a thread pool: a
``SimpleQueue.put`` to give one, one ``call_soon_threadsafe`` per group to answer them all.
Every write keeps its own answer: its own error, its own idempotency answer.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable

from datacat.broker.apply import Write, apply_each
from datacat.broker.errors import UnknownSession
from datacat.broker.store import SessionTxn, Store

from .errors import ApiError

__all__ = ["GroupCommit", "MAX_GROUP"]

#: Most writes in one group (a larger backlog is written group after group).
MAX_GROUP = 256


class GroupCommit:
    """The writer thread of one app (``app.ctx.commit``) on ``store``, answering on ``loop``."""

    def __init__(self, store: Store, loop: asyncio.AbstractEventLoop):
        self._store = store
        self._loop = loop
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="datacat-commit", daemon=True)
        self._thread.start()

    async def write(self, sid: str, part: dict, now: float, existing: bool = False,
                    before_write: Callable[[SessionTxn], None] | None = None) -> None:
        """Apply one session ``part`` (see ``Write``); raises what stopped it.

        An unknown session with ``existing`` is a 404 ``ApiError``.
        """
        if self._stopping:
            raise ApiError(503, "unavailable", "the server is stopping")
        future = self._loop.create_future()
        self._queue.put((Write(sid, part, now, existing, before_write), future))
        await future

    def _run(self) -> None:
        while True:
            first = self._queue.get()  # blocks without holding the GIL
            if first is None:
                return
            group = [first]
            while len(group) < MAX_GROUP:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:  # stop once this group is written
                    self._queue.put(None)
                    break
                group.append(item)
            try:
                apply_each(self._store, [write for write, _ in group])
            except BaseException as exc:  # noqa: BLE001 - every waiter must be answered
                for write, _ in group:
                    write.error = exc
            try:
                self._loop.call_soon_threadsafe(_answer, group)
            except RuntimeError:  # the loop is closed: nobody waits any more
                pass

    def close(self) -> None:
        """Write what is queued, then stop the thread."""
        self._stopping = True
        self._queue.put(None)
        self._thread.join()


def _answer(group: list[tuple[Write, asyncio.Future]]) -> None:
    for write, future in group:
        if future.done():  # the request was cancelled; its write stands
            continue
        error = write.error
        if isinstance(error, UnknownSession):
            error = ApiError(404, "not_found", f"no session {write.sid!r}")
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)
