"""Group commit: concurrent REST writes share store transactions, off the event loop.

One writer thread per app applies the writes queued while its previous group was being
written, all at once, through ``apply_each`` (at most one write per session in each
store transaction; a session's later writes follow in order). A write therefore waits at
most for the group in flight, and the loop hands writes over without a thread pool: a
queue append to give one, one ``call_soon_threadsafe`` per group to answer them all.
Every write keeps its own answer: its own error, its own idempotency answer.
"""

from __future__ import annotations

import asyncio
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
        self._queue: list[tuple[Write, asyncio.Future]] = []
        self._ready = threading.Condition(threading.Lock())
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="datacat-commit", daemon=True)
        self._thread.start()

    async def write(self, sid: str, part: dict, now: float, existing: bool = False,
                    before_write: Callable[[SessionTxn], None] | None = None) -> None:
        """Apply one session ``part`` (see ``Write``); raises what stopped it.

        An unknown session with ``existing`` is a 404 ``ApiError``.
        """
        future = self._loop.create_future()
        with self._ready:
            if self._stopping:
                raise ApiError(503, "unavailable", "the server is stopping")
            self._queue.append((Write(sid, part, now, existing, before_write), future))
            self._ready.notify()
        await future

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._queue and not self._stopping:
                    self._ready.wait()
                if not self._queue:
                    return
                group, self._queue = self._queue[:MAX_GROUP], self._queue[MAX_GROUP:]
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
        with self._ready:
            self._stopping = True
            self._ready.notify()
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
