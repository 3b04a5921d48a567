"""The SDK's background sender: one bounded queue and one flusher thread per process.

App threads only ``append`` record tuples to ``queue`` (after a length check); the
flusher packs whatever is queued into frames and PUSHes them to the daemon without
blocking. Nothing here raises into the app: failures are counted and retried.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque

import msgpack
import zmq

from . import protocol
from .autostart import ensure_daemon
from .ids import uuid7
from .runtime import RuntimePaths

__all__ = ["Transport"]

log = logging.getLogger("datacat.transport")

QUEUE_CAPACITY = 100_000
FRAME_RECORDS = 2_000
TICK = 0.05
BUSY_TICK = 0.005  # while the app logs fast: records queued briefly stay young for the GC
BUSY_RECORDS = 256


class Transport:
    """Owns the zmq context, the PUSH socket and the flusher thread of this process."""

    def __init__(self, paths: RuntimePaths, capacity: int = QUEUE_CAPACITY,
                 autostart: bool = True, tick: float = TICK):
        self.paths = paths
        self.queue: deque = deque()
        self.capacity = capacity
        self.dropped = 0  # records the app offered while the queue was full, or too large
        self.client_id = uuid7()
        self.frames_sent = 0
        self._autostart = autostart
        self._tick = tick
        self._pending: list[bytes] = []  # packed frames zmq has not taken yet
        self._wake = threading.Event()
        self._idle = threading.Condition()
        self._closed = False
        self._packer = msgpack.Packer()
        self._context: zmq.Context | None = None
        self._socket: zmq.Socket | None = None
        self._thread = threading.Thread(target=self._run, name="datacat-flusher", daemon=True)
        self._pid = os.getpid()

    def start(self) -> Transport:
        self._thread.start()
        return self

    # -- flusher thread ---------------------------------------------------------------
    def _connect(self) -> None:
        self._context = zmq.Context(io_threads=1)
        sock = self._context.socket(zmq.PUSH)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.SNDHWM, 1000)
        sock.setsockopt(zmq.IMMEDIATE, 1)
        sock.connect(self.paths.daemon_endpoint)
        self._socket = sock

    def _run(self) -> None:
        try:
            if self._autostart:
                ensure_daemon(self.paths)
            self._connect()
        except Exception:  # noqa: BLE001 - the app must not notice
            log.exception("datacat: cannot reach the daemon; records will be counted as dropped")
        wait = self._tick
        while True:
            self._wake.wait(wait)
            self._wake.clear()
            try:
                moved = self._drain()
            except Exception:  # noqa: BLE001 - keep the flusher alive whatever happens
                log.exception("datacat: flusher error")
                moved = 0
            wait = BUSY_TICK if moved >= BUSY_RECORDS else self._tick
            with self._idle:
                self._idle.notify_all()
            if self._closed:
                return

    def _drain(self) -> int:
        """Pack and send what is queued; returns how many records left the queue."""
        queue, moved = self.queue, 0
        while queue or self._pending:
            if not self._send_pending() or not queue:
                return moved
            records = []
            pop = queue.popleft
            while queue and len(records) < FRAME_RECORDS:
                records.append(pop())
            moved += len(records)
            self._pending.extend(self._pack(records))
        return moved

    def _pack(self, records: list) -> list[bytes]:
        """Frames for ``records``, split until each fits the frame limit."""
        self.frames_sent += 1
        frame = protocol.encode_frame(self.client_id, self.frames_sent, self.dropped, records,
                                      self._packer)
        if len(frame) <= protocol.DEFAULT_LIMITS.max_frame_bytes:
            return [frame]
        self.frames_sent -= 1
        if len(records) == 1:
            self.dropped += 1
            log.warning("datacat: dropped one record of %d bytes (over the frame limit)", len(frame))
            return []
        half = len(records) // 2
        return self._pack(records[:half]) + self._pack(records[half:])

    def _send_pending(self) -> bool:
        """Hand pending frames to zmq; False while the daemon cannot take them."""
        if self._socket is None:
            return False
        while self._pending:
            try:
                self._socket.send(self._pending[0], zmq.NOBLOCK)
            except zmq.Again:
                return False
            self._pending.pop(0)
        return True

    # -- app-facing -----------------------------------------------------------------
    def wake(self) -> None:
        """Have the flusher send what is queued now rather than at its next tick."""
        self._wake.set()

    def flush(self, timeout: float = 2.0) -> bool:
        """Send everything queued so far; True once the daemon has received it."""
        deadline = time.monotonic() + timeout
        if not self._thread.is_alive() or os.getpid() != self._pid:
            return False
        with self._idle:
            while self.queue or self._pending:
                self._wake.set()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(min(remaining, self._tick))
        return self._daemon_has(self.frames_sent, deadline)

    def _daemon_has(self, seq: int, deadline: float) -> bool:
        """Ask the daemon's control socket whether it has seen frame ``seq`` of this client."""
        if seq == 0:
            return True
        from .control import ask

        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            reply = ask(self.paths.control_endpoint, {"op": "seen", "client": self.client_id},
                        timeout=min(remaining, 0.5))
            if reply is not None and reply.get("seq", 0) >= seq:
                return True

    def close(self, timeout: float = 2.0) -> bool:
        """Flush, then stop the flusher; idempotent. True if everything reached the daemon."""
        if self._closed:
            return True
        delivered = self.flush(timeout)
        self._closed = True
        self._wake.set()
        self._thread.join(timeout)
        if self._socket is not None:
            self._socket.close(linger=1000)  # frames zmq still holds may leave; none wait if unconnected
            self._context.term()
        return delivered
