"""Store work off the event loop: bounded thread pools, and a deadline on every read.

Handlers never call the store on the loop. A read runs in the read pool and must finish
within ``read_timeout`` seconds (waiting for a free thread included), else the request
is answered ``503 {"error": "timeout"}`` and the loop moves on; a read that already
started finishes in its thread, and no more than ``read_threads`` run at once. Writes
have their own pool, so slow readers never queue them, and no deadline: a write that
was answered 503 might still have committed.
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

__all__ = ["Offload", "read", "write", "install"]


class Offload:
    """The read and write pools of one app (``app.ctx.offload``)."""

    def __init__(self, read_threads: int, read_timeout: float, write_threads: int):
        self.read_timeout = read_timeout
        self._reads = ThreadPoolExecutor(read_threads, thread_name_prefix="datacat-read")
        self._writes = ThreadPoolExecutor(write_threads, thread_name_prefix="datacat-write")

    async def read(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` in the read pool; ``ApiError`` 503 ``timeout`` past the deadline."""
        future = asyncio.get_running_loop().run_in_executor(self._reads, partial(fn, *args))
        try:
            return await asyncio.wait_for(future, self.read_timeout)
        except TimeoutError:  # a read still queued is cancelled; a running one finishes
            raise ApiError(503, "timeout", f"the store did not answer within "
                           f"{self.read_timeout:g} s; try again or narrow the query",
                           headers={"Retry-After": "1"}) from None

    async def write(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` in the write pool, awaited to the end."""
        return await asyncio.get_running_loop().run_in_executor(self._writes, partial(fn, *args))

    def close(self) -> None:
        """Stop both pools without waiting for reads still running."""
        self._reads.shutdown(wait=False, cancel_futures=True)
        self._writes.shutdown(wait=True)


async def read(request: Request, fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` in the request's app's read pool, with its deadline."""
    return await request.app.ctx.offload.read(fn, *args)


async def write(request: Request, fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` in the request's app's write pool."""
    return await request.app.ctx.offload.write(fn, *args)


def install(app: Sanic, read_threads: int, read_timeout: float, write_threads: int) -> None:
    """Create ``app.ctx.offload`` now; its pools stop after the server stops."""
    app.ctx.offload = Offload(read_threads, read_timeout, write_threads)

    @app.after_server_stop
    async def _stop_pools(app: Sanic, _loop=None) -> None:
        app.ctx.offload.close()
