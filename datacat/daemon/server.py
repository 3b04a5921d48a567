"""The daemon's loop: PULL client frames, keep windows, flush batches to the tier, answer control."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import msgpack
import zmq

from ..autostart import hold_lock
from ..ids import uuid7
from ..protocol import PROTOCOL_VERSION, ProtocolError, decode_frame, encode_batch
from ..runtime import RuntimePaths
from .probe import SleepClock
from .registry import load_registry, save_registry
from .uplink import Uplink
from .watch import Watcher
from .window import SessionWindow, Windows

__all__ = ["DaemonSettings", "Daemon", "AlreadyRunning"]

log = logging.getLogger("datacat.daemon")

MAX_WINDOW_RECORDS = 200_000
RECV_BURST = 1_000
CHECK_INTERVAL = 0.5
REGISTRY_INTERVAL = 5.0


class AlreadyRunning(RuntimeError):
    """Another daemon holds this runtime directory's lock."""


@dataclass
class DaemonSettings:
    paths: RuntimePaths
    brokers: list[str]
    flush_interval: float = 1.0
    shutdown_grace: float = 5.0
    beat_interval: float = 5.0  # liveness: a batch at least this often, even an empty one


@dataclass
class _Counters:
    frames_in: int = 0
    records_in: int = 0
    bytes_in: int = 0
    checks: int = 0
    rejected: Counter = field(default_factory=Counter)
    client_dropped: dict = field(default_factory=dict)


class Daemon:
    """One per user and machine; ``run()`` blocks until ``stop()`` (or SIGTERM/SIGINT)."""

    def __init__(self, settings: DaemonSettings):
        self.settings = settings
        self.daemon_id = uuid7()
        self.windows = Windows()
        self.watcher = Watcher(state_of=self._state_of)
        self._sleep_clock = SleepClock()
        self.counters = _Counters()
        self.seen: dict[str, int] = {}  # client id -> last frame seq received
        self._seq = 0
        self._stopping = threading.Event()
        self._lock_fd = hold_lock(settings.paths)
        if self._lock_fd is None:
            raise AlreadyRunning(f"a daemon already runs in {settings.paths.directory}")
        settings.paths.pid_file.write_text(f"{os.getpid()}\n")
        self._context = zmq.Context()
        self._pull = self._bind(zmq.PULL, settings.paths.daemon_endpoint)
        self._control = self._bind(zmq.ROUTER, settings.paths.control_endpoint)
        self.uplink = Uplink(self._context, settings.brokers)
        self._registry_path = settings.paths.directory / "registry.msgpack"
        self._restore_registry()

    def _state_of(self, sid: str) -> dict:
        window = self.windows.sessions.get(sid)
        return window.state if window is not None else {}

    def _restore_registry(self) -> None:
        """Keep watching what a previous daemon watched; deaths meanwhile show at the first check."""
        watched, states = load_registry(self._registry_path, time.monotonic())
        for entry in watched:
            self.watcher.sessions[entry.sid] = entry
            state = states.get(entry.sid, {})
            self.windows.sessions[entry.sid] = SessionWindow(state=state, sent_state=state)
        if watched:
            log.info("watching %d sessions from the registry", len(watched))

    def _save_registry(self) -> None:
        states = {sid: self._state_of(sid) for sid in self.watcher.sessions}
        try:
            save_registry(self._registry_path, self.watcher.sessions, states)
            self.watcher.changed = False
        except OSError:
            log.exception("cannot write the registry %s", self._registry_path)

    def _bind(self, kind: int, endpoint: str) -> zmq.Socket:
        sock = self._context.socket(kind)
        sock.setsockopt(zmq.LINGER, 0)
        if kind == zmq.PULL:
            sock.setsockopt(zmq.RCVHWM, 10_000)
        sock.bind(endpoint)
        return sock

    def stop(self) -> None:
        """Ask the loop to finish (safe from a signal handler)."""
        self._stopping.set()

    def install_signal_handlers(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self.stop())

    def run(self) -> None:
        poller = zmq.Poller()
        for sock in (self._pull, self._control, self.uplink.socket):
            poller.register(sock, zmq.POLLIN)
        next_flush = time.monotonic() + self.settings.flush_interval
        next_check = next_save = last_batch = time.monotonic()
        log.info("daemon %s listening on %s, tier %s", self.daemon_id,
                 self.settings.paths.daemon_endpoint, ", ".join(self.settings.brokers))
        try:
            while not self._stopping.is_set():
                timeout = max(0.0, min(next_flush - time.monotonic(), 0.2))
                ready = dict(poller.poll(int(timeout * 1000)))
                now = time.monotonic()
                if self._pull in ready:
                    self._receive_frames()
                if self._control in ready:
                    self._answer_control()
                if self.uplink.socket in ready:
                    self.uplink.receive(now)
                if now >= next_check:
                    self._check(now)
                    next_check = now + CHECK_INTERVAL
                if now >= next_flush or self.windows.pending_records >= MAX_WINDOW_RECORDS:
                    beat_due = now - last_batch >= self.settings.beat_interval
                    if self.flush_window(force=beat_due):
                        last_batch = now
                    next_flush = now + self.settings.flush_interval
                if self.watcher.changed or now >= next_save:
                    self._save_registry()
                    next_save = now + REGISTRY_INTERVAL
                self.uplink.pump(now)
            self._drain_on_stop()
        finally:
            self.close()

    def _receive_frames(self, limit: int | None = RECV_BURST) -> None:
        """Take up to ``limit`` queued frames (all of them with ``None``)."""
        taken = 0
        while limit is None or taken < limit:
            try:
                data = self._pull.recv(zmq.NOBLOCK, copy=True)
            except zmq.Again:
                return
            taken += 1
            self.counters.frames_in += 1
            self.counters.bytes_in += len(data)
            try:
                frame = decode_frame(data)
            except ProtocolError as exc:
                self.counters.rejected[exc.reason] += 1
                log.warning("rejected a client frame: %s", exc)
                continue
            self.seen[frame.client_id] = max(frame.seq, self.seen.get(frame.client_id, 0))
            if frame.dropped:
                self.counters.client_dropped[frame.client_id] = frame.dropped
            add, note, now = self.windows.add, self.watcher.on_record, time.monotonic()
            for record in frame.records:
                add(record)
                for made in note(record, now):
                    add(made)
            self.counters.records_in += len(frame.records)

    def _check(self, now: float) -> None:
        """Probe watched processes, after reading every frame they sent before dying."""
        self._receive_frames(limit=None)
        for made in self.watcher.check(now, self._sleep_clock.slept()):
            self.windows.add(made)
        self.counters.checks += 1

    def _answer_control(self) -> None:
        while True:
            try:
                identity, empty, body = self._control.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            except ValueError:
                continue
            try:
                request = msgpack.unpackb(body, raw=False)
                reply = self._control_reply(request)
            except Exception as exc:  # noqa: BLE001 - a bad request must not stop the daemon
                reply = {"error": str(exc)[:200]}
            self._control.send_multipart([identity, empty, msgpack.packb(reply)])

    def _control_reply(self, request: dict) -> dict:
        if request.get("op") == "seen":
            self._receive_frames(limit=None)  # frames queued before the question count as seen
            return {"seq": self.seen.get(request.get("client"), 0)}
        if request.get("op") == "stats":
            return self.stats()
        return {"error": f"unknown op {request.get('op')!r}"}

    def stats(self) -> dict:
        """Counters for ``datacat status`` and the batches' ``stats`` field."""
        counters = self.counters
        return {
            "daemon_id": self.daemon_id, "frames_in": counters.frames_in,
            "records_in": counters.records_in, "bytes_in": counters.bytes_in,
            "checks": counters.checks,
            "frames_rejected": dict(counters.rejected),
            "client_dropped": sum(counters.client_dropped.values()),
            "sessions": len(self.windows.sessions), "watched": len(self.watcher.sessions),
            "outbox": len(self.uplink.outbox),
            **self.uplink.stats,
        }

    def flush_window(self, force: bool = False) -> bool:
        """Queue one batch of the current windows for the tier; False if there was nothing to send.

        ``force`` sends a batch even with no session data: the daemon's liveness beat, which
        carries the ids of the sessions it watches.
        """
        parts = self.windows.build()
        if not parts and not force:
            return False
        self._seq += 1
        batch = {"v": PROTOCOL_VERSION, "daemon_id": self.daemon_id, "seq": self._seq,
                 "host": socket.gethostname(), "sent_at": time.time(), "stats": self.stats(),
                 "watching": list(self.watcher.sessions), "sessions": parts}
        self.uplink.enqueue(self._seq, encode_batch(batch))
        return True

    def _drain_on_stop(self) -> None:
        """Flush what was received and wait for acks up to the grace period."""
        self._receive_frames()
        self.flush_window()
        self._save_registry()
        deadline = time.monotonic() + self.settings.shutdown_grace
        while self.uplink.outbox and time.monotonic() < deadline:
            self.uplink.pump(time.monotonic())
            if self.uplink.socket.poll(100):
                self.uplink.receive(time.monotonic())
        if self.uplink.outbox:
            log.warning("stopping with %d unacknowledged batches", len(self.uplink.outbox))

    def close(self) -> None:
        """Close sockets and release the lock; idempotent."""
        if self._lock_fd is None:
            return
        for sock in (self._pull, self._control):
            sock.close(0)
        self.uplink.close()
        self._context.term()
        self.settings.paths.pid_file.unlink(missing_ok=True)
        os.close(self._lock_fd)
        self._lock_fd = None
