"""Store reads off the event loop: a bounded thread pool, and a deadline on every read.

Handlers never call the store on the loop. A read runs in the read pool and must finish
within ``read_timeout`` seconds (waiting for a free thread included), else the request
is answered ``503 {"error": "timeout"}`` and the loop moves on; a read that already
started finishes in its thread, and no more than ``read_threads`` run at once. Writes
go through their own thread (``web.group_commit``), so slow readers never queue them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from sanic import Sanic
from sanic.request import Request

from .errors import ApiError

__all__ = ["Offload", "read", "install"]


class Offload:
    """The read pool of one app (``app.ctx.offload``)."""

    def __init__(self, read_threads: int, read_timeout: float):
        self.read_timeout = read_timeout
        self._reads = ThreadPoolExecutor(read_threads, thread_name_prefix="datacat-read")

    async def read(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` in the read pool; ``ApiError`` 503 ``timeout`` past the deadline."""
        future = asyncio.get_running_loop().run_in_executor(self._reads, partial(fn, *args))
        try:
            return await asyncio.wait_for(future, self.read_timeout)
        except TimeoutError:  # a read still queued is cancelled; a running one finishes
            raise ApiError(503, "timeout", f"the store did not answer within "
                           f"{self.read_timeout:g} s; try again or narrow the query",
                           headers={"Retry-After": "1"}) from None

    def close(self) -> None:
        """Stop the pool without waiting for reads still running."""
        self._reads.shutdown(wait=False, cancel_futures=True)


async def read(request: Request, fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` in the request's app's read pool, with its deadline."""
    return await request.app.ctx.offload.read(fn, *args)


def install(app: Sanic, read_threads: int, read_timeout: float) -> None:
    """Create ``app.ctx.offload`` now; its pool stops after the server stops."""
    app.ctx.offload = Offload(read_threads, read_timeout)

    @app.after_server_stop
    async def _stop_pool(app: Sanic, _loop=None) -> None:
        app.ctx.offload.close()
