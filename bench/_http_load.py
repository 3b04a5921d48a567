"""A small asyncio HTTP/1.1 load generator: keep-alive connections, one request in flight each.

``load(targets, make, concurrency, seconds)`` opens ``concurrency`` connections (spread
over ``targets``, ``(host, port)`` pairs), and each sends ``make(connection, n)`` (the raw
request bytes) as soon as its previous answer arrived, until ``seconds`` have passed.
Returns the rate and the latency of every request. Any answer other than 2xx stops the
run with ``RuntimeError`` naming it: a benchmark of failures measures nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Result", "load", "request", "run"]


@dataclass
class Result:
    """Requests answered, over how long, and each one's latency (seconds)."""

    count: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def request(method: str, path: str, body: bytes = b"", headers: dict | None = None) -> bytes:
    """The raw bytes of one request with a JSON ``body``."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json",
             f"Content-Length: {len(body)}"]
    lines += [f"{key}: {value}" for key, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _answer(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    """The status line and body of one response (``Content-Length`` framed)."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    body = await reader.readexactly(length) if length else b""
    return head.split(b"\r\n", 1)[0], body


async def _connection(target: tuple[str, int], make: Callable[[int, int], bytes], number: int,
                      deadline: float, result: Result) -> None:
    reader, writer = await asyncio.open_connection(*target)
    try:
        n = 0
        while time.perf_counter() < deadline:
            payload = make(number, n)
            started = time.perf_counter()
            writer.write(payload)
            status, body = await _answer(reader)
            result.latencies.append(time.perf_counter() - started)
            if not status.split(b" ")[1].startswith(b"2"):
                raise RuntimeError(f"{status.decode()} {body[:300].decode(errors='replace')}")
            n += 1
    finally:
        writer.close()


async def load(targets: list[tuple[str, int]], make: Callable[[int, int], bytes],
               concurrency: int, seconds: float) -> Result:
    """``concurrency`` connections sending ``make(connection, n)`` for ``seconds``."""
    result = Result()
    started = time.perf_counter()
    await asyncio.gather(*(_connection(targets[i % len(targets)], make, i, started + seconds,
                                       result) for i in range(concurrency)))
    result.seconds = time.perf_counter() - started
    result.count = len(result.latencies)
    return result


def run(targets: list[tuple[str, int]], make: Callable[[int, int], bytes], concurrency: int,
        seconds: float) -> Result:
    """``load`` on a fresh event loop (uvloop when installed)."""
    try:
        import uvloop
        return uvloop.run(load(targets, make, concurrency, seconds))
    except ImportError:
        return asyncio.run(load(targets, make, concurrency, seconds))
