"""The SDK's background sender: one bounded queue and one flusher thread per process.

App threads only add records to ``queue`` (after a length check), each as one ``extend``
of its items (``datacat.outbox``); the flusher packs whatever is queued into frames and
PUSHes them to the daemon without blocking, at least every ``TICK`` seconds, and at once
when a call finds a frame's worth queued (``wake``). A durable record (``persist``)
instead has the caller pack the queue at once and write those frames to the process's
spill file before it returns. Frames stay in memory until the daemon confirms it has them,
so a daemon that dies is replaced and sent them again. Nothing here raises into the app:
failures are counted by reason and retried.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque

import msgspec
import zmq

from . import outbox, protocol
from .autostart import daemon_running, ensure_daemon
from .control import ask
from .ids import uuid7
from .runtime import RuntimePaths
from .spill import SpillFile

__all__ = ["Transport"]

log = logging.getLogger("datacat.transport")

QUEUE_CAPACITY = 100_000
FRAME_RECORDS = 2_000
_FRAME_ITEMS = FRAME_RECORDS * outbox.WIDTH
TICK = 0.05
BUSY_TICK = 0.005  # while the app logs fast: frames go out between its bursts, mostly before
# a frame's worth queues up and wakes the flusher in the middle of one (two threads taking
# turns at the GIL cost both more CPU; measured in docs/benchmarks.md)
BUSY_RECORDS = 256
CONFIRM_INTERVAL = 0.5  # how often the flusher asks the daemon which frames it has
UNCONFIRMED_BYTES = 64 * 1024 * 1024  # frames kept for a resend to a replaced daemon


class Transport:
    """Owns the zmq context, the PUSH socket, the spill file and the flusher thread."""

    def __init__(self, paths: RuntimePaths, capacity: int = QUEUE_CAPACITY,
                 autostart: bool = True, tick: float = TICK, start_time: float | None = None):
        self.paths = paths
        self.queue: list = []  # flat items, ``outbox.WIDTH`` per record
        self.capacity = capacity  # records
        self.dropped = 0  # records the app offered while the queue was full
        self.drops: dict[str, int] = {}  # other records left out, by reason
        self.client_id = uuid7()
        self.frames_sent = 0  # frames packed, numbered 1..frames_sent
        self._autostart = autostart
        self._tick = tick
        self._lock = threading.Lock()  # packing: frame numbers, pending and unconfirmed frames
        self._pending: deque[bytes] = deque()  # packed frames zmq has not taken yet
        self._unconfirmed: deque[tuple[int, bytes]] = deque()  # sent, not yet known journaled
        self._unconfirmed_bytes = 0
        self._confirmed = 0  # the newest frame seq the daemon said it has
        self._daemon_id: str | None = None  # the daemon that said it
        self._seen_lock = threading.Lock()  # answers to "seen" are taken one at a time
        self._next_confirm = 0.0
        self._wake = threading.Event()
        self._marked: list = []  # sessions that woke the flusher (see ``Session._over_mark``)
        self._idle = threading.Condition()
        self._closed = False
        self._encoder = protocol.FrameEncoder()
        self._items_encoder = msgspec.msgpack.Encoder()  # no fallbacks: see ``_pack_items``
        self._context: zmq.Context | None = None
        self._socket: zmq.Socket | None = None
        self._thread = threading.Thread(target=self._run, name="datacat-flusher", daemon=True)
        self._pid = os.getpid()
        self._spill = SpillFile(paths.directory / "spill", self._pid,
                                start_time if start_time is not None else time.time(),
                                self.client_id)

    def start(self) -> Transport:
        self._thread.start()
        return self

    def add(self, fields: tuple) -> None:
        """Queue one record off the hot paths (no capacity check); never raises."""
        try:
            self.queue.extend(outbox.record_items(fields))
        except (TypeError, ValueError, OverflowError, RecursionError):
            with self._lock:
                self._drop("unencodable")
            log.warning("datacat: dropped one record the encoder cannot take", exc_info=True)

    # -- durable records (any thread) -------------------------------------------------
    def persist(self) -> None:
        """Pack everything queued and write it to the spill file before returning."""
        try:
            with self._lock:
                self._spill.write(self._pack_queue())
        except Exception:  # noqa: BLE001 - the app must not notice; the frames still go out
            log.warning("datacat: cannot write the spill file %s", self._spill.path, exc_info=True)
        self._wake.set()

    def _pack_queue(self) -> list[tuple[int, bytes]]:
        """Move every queued record into numbered frames (caller holds ``_lock``)."""
        frames = self._keep(self._pack_items(self._take()))
        while self._unconfirmed_bytes > UNCONFIRMED_BYTES and len(self._unconfirmed) > 1:
            self._unconfirmed_bytes -= len(self._unconfirmed.popleft()[1])
        return frames

    def _take(self) -> list:
        """Every queued item (caller holds ``_lock``: no one else takes, app threads only
        add whole records at the end, so the first ``count`` items stay in place)."""
        queue, marked = self.queue, self._marked
        count = len(queue)
        items = queue[:count]
        del queue[:count]
        count = len(marked)
        for session in marked[:count]:
            session.rearm()
        del marked[:count]
        return items

    def _keep(self, frames: list[tuple[int, bytes]]) -> list[tuple[int, bytes]]:
        """Queue packed frames for sending, and keep them until the daemon confirms them."""
        for seq, frame in frames:
            self._pending.append(frame)
            self._unconfirmed.append((seq, frame))
            self._unconfirmed_bytes += len(frame)
        return frames

    def _pack_items(self, items: list) -> list[tuple[int, bytes]]:
        """Numbered frames for the records in ``items``, ``FRAME_RECORDS`` to a frame.

        msgspec packs the items as they are; a run it refuses (a value it has no type for,
        text that is not valid Unicode) or that packs over the frame limit goes through
        ``_pack`` as tuples instead, with ``FrameEncoder``'s fallbacks.
        """
        frames = []
        for start in range(0, len(items), _FRAME_ITEMS):
            chunk = items if len(items) <= _FRAME_ITEMS else items[start:start + _FRAME_ITEMS]
            seq = self.frames_sent + 1
            try:
                records = outbox.pack_records(self._items_encoder, chunk)
            except (TypeError, ValueError, OverflowError, RecursionError):
                frames.extend(self._pack(outbox.as_tuples(chunk)))
                continue
            frame = protocol.encode_frame(self.client_id, seq, self._drop_totals(), records,
                                          self._encoder)
            if len(frame) <= protocol.DEFAULT_LIMITS.max_frame_bytes:
                self.frames_sent = seq
                frames.append((seq, frame))
            else:
                frames.extend(self._pack(outbox.as_tuples(chunk)))
        return frames

    def _pack(self, records: list) -> list[tuple[int, bytes]]:
        """Numbered frames for ``records`` (tuples), split until each fits the frame limit.

        A record neither encoder can take (see ``protocol.FrameEncoder``) is dropped alone.
        """
        seq = self.frames_sent + 1
        try:
            frame = protocol.encode_frame(self.client_id, seq, self._drop_totals(), records,
                                          self._encoder)
        except (TypeError, ValueError, OverflowError, RecursionError):
            if len(records) == 1:
                self._drop("unencodable")
                log.warning("datacat: dropped one record the encoder cannot take", exc_info=True)
                return []
            frame = None
        if frame is not None and len(frame) <= protocol.DEFAULT_LIMITS.max_frame_bytes:
            self.frames_sent = seq
            return [(seq, frame)]
        if frame is not None and len(records) == 1:
            self._drop("too_large")
            log.warning("datacat: dropped one record of %d bytes (over the frame limit)", len(frame))
            return []
        half = len(records) // 2
        return self._pack(records[:half]) + self._pack(records[half:])

    def _drop(self, reason: str) -> None:
        self.drops[reason] = self.drops.get(reason, 0) + 1

    def _drop_totals(self) -> dict:
        if self.dropped:
            return {"queue_full": self.dropped, **self.drops}
        return self.drops

    # -- flusher thread ---------------------------------------------------------------
    def _connect(self) -> None:
        if self._context is None:
            self._context = zmq.Context(io_threads=1)
        if self._socket is not None:
            self._socket.close(linger=0)
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
            log.exception("datacat: cannot reach the daemon; records wait in memory")
        wait = self._tick
        while True:
            self._wake.wait(wait)
            self._wake.clear()
            try:
                moved = self._drain()
                self._confirm(time.monotonic())
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
            with self._lock:
                items = self._take()
                moved += len(items) // outbox.WIDTH
                self._keep(self._pack_items(items))
        return moved

    def _send_pending(self) -> bool:
        """Hand pending frames to zmq; False while the daemon cannot take them."""
        if self._socket is None:
            return False
        pending = self._pending
        while pending:
            try:
                self._socket.send(pending[0], zmq.NOBLOCK)
            except zmq.Again:
                return False
            pending.popleft()
        return True

    def _confirm(self, now: float) -> None:
        """Forget frames the daemon has; replace a daemon that died and resend to it."""
        if not self._unconfirmed or now < self._next_confirm:
            return
        self._next_confirm = now + CONFIRM_INTERVAL
        reply = ask(self.paths.control_endpoint, {"op": "seen", "client": self.client_id},
                    timeout=CONFIRM_INTERVAL)
        if reply is not None and isinstance(reply.get("seq"), int):
            self._seen(reply)
        elif self._autostart and not daemon_running(self.paths):
            self._replace_daemon()

    def _seen(self, reply: dict) -> None:
        """The daemon's answer to ``seen``: forget the frames it has. A daemon other than the
        last one that answered is told which frames an earlier daemon had on disk
        (``resume``) and gets every later frame again; it skips any it already has, so a
        resend costs nothing but the bytes. Answers are taken one at a time: the flusher and
        ``flush`` both ask, and an answer that arrives late (a lower ``seq`` from the same
        daemon) only confirms less."""
        with self._seen_lock:
            seq = reply["seq"]
            changed = reply.get("daemon") != self._daemon_id
            self._confirmed_up_to(seq)
            if not changed:
                return
            if self._daemon_id is not None:
                log.warning("datacat: a new daemon serves this process; sending it what it lacks")
            self._daemon_id = reply.get("daemon")
            if seq < self._confirmed:
                ask(self.paths.control_endpoint, {"op": "resume", "client": self.client_id,
                                                  "seq": self._confirmed}, timeout=CONFIRM_INTERVAL)
            with self._lock:
                self._requeue_unconfirmed()

    def _confirmed_up_to(self, seq: int) -> None:
        with self._lock:
            self._confirmed = max(self._confirmed, seq)
            while self._unconfirmed and self._unconfirmed[0][0] <= seq:
                self._unconfirmed_bytes -= len(self._unconfirmed.popleft()[1])
            if self._spill.bytes and self._spill.last_seq <= seq:
                try:
                    self._spill.empty()
                except OSError:
                    log.warning("datacat: cannot empty the spill file", exc_info=True)

    def _replace_daemon(self) -> None:
        """The daemon is gone: start another and send it every frame it may not have."""
        log.warning("datacat: the daemon is gone; starting a new one")
        ensure_daemon(self.paths)
        with self._lock:
            self._connect()
            self._requeue_unconfirmed()
        self._daemon_id = None  # the next answer comes from a new daemon

    def _requeue_unconfirmed(self) -> None:
        """Queue again every frame the daemon has not confirmed (it skips any it has)."""
        unsent = set(map(id, self._pending))
        resend = [frame for _, frame in self._unconfirmed if id(frame) not in unsent]
        self._pending.extendleft(reversed(resend))

    # -- app-facing -----------------------------------------------------------------
    def wake(self, session) -> None:
        """Have the flusher take the queue now rather than at its next tick; ``session``
        (whose calls found a long queue) is ``rearm``ed once it has."""
        self._marked.append(session)
        self._wake.set()

    def flush(self, timeout: float = 2.0) -> bool:
        """Send everything queued so far; True once the daemon has it on disk."""
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
        """Wait until the daemon says it has frame ``seq`` (the flusher replaces a dead one)."""
        while self._confirmed < seq:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            reply = ask(self.paths.control_endpoint, {"op": "seen", "client": self.client_id},
                        timeout=min(remaining, 0.5))
            if reply is not None and isinstance(reply.get("seq"), int):
                self._seen(reply)
            else:
                self._wake.set()
                time.sleep(min(max(remaining, 0), 0.05))  # the flusher may be replacing the daemon
        return True

    def close(self, timeout: float = 2.0) -> bool:
        """Flush, then stop the flusher, all within ``timeout``; idempotent.

        True if everything reached the daemon; undelivered frames stay in the spill file,
        for the daemon to take after this process.
        """
        if self._closed:
            return True
        deadline = time.monotonic() + timeout
        delivered = self.flush(timeout)
        self._closed = True
        self._wake.set()
        self._thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            try:
                if delivered:
                    self._spill.remove()
                else:
                    self._pack_queue()
                    self._spill.write([(seq, frame) for seq, frame in self._unconfirmed
                                       if seq > self._spill.last_seq])
            except OSError:
                log.warning("datacat: cannot write the spill file", exc_info=True)
        if self._socket is not None:  # frames zmq still holds may leave until the deadline
            self._socket.close(linger=int(max(0.0, deadline - time.monotonic()) * 1000))
            self._context.term()
        return delivered
