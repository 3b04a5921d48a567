"""Give freed heap memory back to the system every ``TRIM_INTERVAL`` seconds (glibc).

A page's store reads allocate and free many small objects in the read pool's threads;
glibc keeps what they freed inside its arenas, so without a trim the process's RSS stays
at the high-water mark of its busiest pages, which grows with what the store holds.
``malloc_trim`` returns the free pages (a few milliseconds); elsewhere than glibc this
does nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util

from sanic import Sanic

__all__ = ["install", "trim", "TRIM_INTERVAL"]

TRIM_INTERVAL = 5.0


def _libc_trim():
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # not glibc
        return None


_TRIM = _libc_trim()


def trim() -> bool:
    """Return free heap pages to the system now; ``True`` if any were."""
    return bool(_TRIM is not None and _TRIM(0))


async def _trim_forever() -> None:
    while True:
        await asyncio.sleep(TRIM_INTERVAL)
        await asyncio.to_thread(trim)  # it holds the allocator's locks for a few ms


def install(app: Sanic) -> None:
    """Trim the heap of ``app``'s process every ``TRIM_INTERVAL`` seconds while it serves."""
    if _TRIM is None:
        return

    @app.after_server_start
    async def _start(app: Sanic, _loop=None) -> None:
        app.ctx.heap_trim = asyncio.get_running_loop().create_task(_trim_forever())

    @app.before_server_stop
    async def _stop(app: Sanic, _loop=None) -> None:
        task = getattr(app.ctx, "heap_trim", None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
