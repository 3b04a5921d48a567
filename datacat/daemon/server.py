"""The daemon's loop: PULL client frames, keep windows, spool and send batches, answer control."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass

import msgpack
import zmq

from ..autostart import hold_lock
from ..curve import CurveKeys
from ..process import on_stop_signals
from ..protocol import build_batch, encode_batch, new_daemon_identity
from ..runtime import RuntimePaths
from ..sealed import Damaged, quarantine, read_sealed, write_sealed
from .delivery import Delivery, SpoolSettings
from .intake import Intake
from .probe import SleepClock
from .registry import load_registry, save_registry
from .spills import drain_spills
from .uplink import Uplink
from .watch import Watcher
from .window import MAX_RECORDS, SessionWindow, Windows

__all__ = ["DaemonSettings", "Daemon", "AlreadyRunning"]

log = logging.getLogger("datacat.daemon")

END_BATCH_GAP = 0.05  # a session's end goes out this soon after the last batch
BURST_RECORDS = 20_000  # records taken per loop turn, so control, acks and timers stay prompt
SEEN_BATCH_RECORDS = 100_000  # while a client waits for "seen", batches wait for this many
# (half of a batch array's bound, Limits.max_records: an SDK frame adds at most 2,000)
CHECK_INTERVAL = 0.5
REGISTRY_INTERVAL = 5.0


class AlreadyRunning(RuntimeError):
    """Another daemon holds this runtime directory's lock."""


@dataclass
class DaemonSettings:
    paths: RuntimePaths
    brokers: list[str]
    spool: SpoolSettings
    flush_interval: float = 1.0
    shutdown_grace: float = 5.0
    beat_interval: float = 5.0  # liveness: a batch at least this often, even an empty one
    curve: CurveKeys | None = None  # encrypt and authenticate the link to the broker


class Daemon:
    """One per user and machine; ``run()`` blocks until ``stop()`` (or SIGTERM/SIGINT)."""

    def __init__(self, settings: DaemonSettings):
        self.settings = settings
        self.daemon_id, self._key = new_daemon_identity()
        self._seq = 0
        self._checks = 0
        self._stopping = threading.Event()
        self._refused: set[str] = set()  # state files the disk refused (logged once)
        self._lock_fd = hold_lock(settings.paths)
        if self._lock_fd is None:
            raise AlreadyRunning(f"a daemon already runs in {settings.paths.directory}")
        settings.paths.pid_file.write_text(f"{os.getpid()}\n")
        self.windows = Windows()
        self.watcher = Watcher(state_of=self._state_of)
        self.delivery = Delivery(settings.spool)
        self.intake = Intake(self.windows, self.watcher, self.delivery)
        self._sleep_clock = SleepClock()
        self._context = zmq.Context()
        self._pull = self._bind(zmq.PULL, settings.paths.daemon_endpoint)
        self._control = self._bind(zmq.ROUTER, settings.paths.control_endpoint)
        self.uplink = Uplink(self._context, settings.brokers, self.delivery.spool,
                             curve=settings.curve)
        self._registry_path = settings.paths.directory / "registry.msgpack"
        self._clients_path = settings.spool.directory / "clients.ckpt"
        self._spill_dir = settings.paths.directory / "spill"
        self._recover()

    def _bind(self, kind: int, endpoint: str) -> zmq.Socket:
        sock = self._context.socket(kind)
        sock.setsockopt(zmq.LINGER, 0)
        if kind == zmq.PULL:
            sock.setsockopt(zmq.RCVHWM, 10_000)
        sock.bind(endpoint)
        return sock

    # -- restart recovery -----------------------------------------------------------------
    def _state_of(self, sid: str) -> dict:
        window = self.windows.sessions.get(sid)
        return window.state if window is not None else {}

    def _recover(self) -> None:
        """Resume an earlier run: its watched sessions, then its journaled, unbatched frames."""
        watched, states = load_registry(self._registry_path, time.monotonic())
        for entry in watched:
            self.watcher.sessions[entry.sid] = entry
            state = states.get(entry.sid, {})
            self.windows.sessions[entry.sid] = SessionWindow(state=state, sent_state=state)
        self._load_clients()
        replayed = sum(self.intake.take(frame, time.monotonic(), replayed=True)
                       for frame in self.delivery.replay())
        spilled = self._drain_spills()
        backlog = len(self.delivery.spool.entries)
        if watched or replayed or backlog or spilled:
            log.info("recovered %d watched sessions, %d journaled records, %d spooled batches, "
                     "%d records from spill files", len(watched), replayed, backlog, spilled)

    def _load_clients(self) -> None:
        """The newest frame seq per client that an earlier run batched, so none is taken twice."""
        try:
            self.intake.restore(msgpack.unpackb(read_sealed(self._clients_path), raw=False))
        except FileNotFoundError:
            pass
        except (OSError, Damaged, ValueError, TypeError, AttributeError) as exc:
            quarantine(self._clients_path, getattr(exc, "reason", "unreadable"))

    def _save_clients(self) -> None:
        self._persist("the client checkpoint", lambda: write_sealed(
            self._clients_path, msgpack.packb(self.intake.checkpoint()), sync=False))

    def _persist(self, what: str, write) -> bool:
        """Run one small state write; a refusal (full disk) is logged once until one succeeds."""
        try:
            write()
        except OSError as exc:
            if what not in self._refused:
                log.error("cannot write %s (%s); will retry", what, exc.strerror or exc)
                self._refused.add(what)
            return False
        self._refused.discard(what)
        return True

    def _drain_spills(self) -> int:
        """Take what processes that are gone left in their spill files."""
        return drain_spills(self._spill_dir, lambda frame: self.intake.take(
            frame, time.monotonic(), in_order=False))

    def _save_registry(self) -> None:
        # the state the tier has (as of the last spooled batch): what replayed frames diff against
        states = {sid: window.sent_state for sid, window in self.windows.sessions.items()
                  if sid in self.watcher.sessions}
        if self._persist("the registry", lambda: save_registry(
                self._registry_path, self.watcher.sessions, states)):
            self.watcher.changed = False

    # -- the loop ---------------------------------------------------------------------------
    def stop(self) -> None:
        """Ask the loop to finish (safe from a signal handler)."""
        self._stopping.set()

    def install_signal_handlers(self) -> None:
        on_stop_signals(self.stop)

    def run(self) -> None:
        poller = zmq.Poller()
        for sock in (self._pull, self._control, self.uplink.socket):
            poller.register(sock, zmq.POLLIN)
        start = time.monotonic()
        next_flush, next_check, next_save, last_batch = start, start, start, start
        log.info("daemon %s listening on %s, tier %s", self.daemon_id,
                 self.settings.paths.daemon_endpoint, ", ".join(self.settings.brokers))
        try:
            while not self._stopping.is_set():
                wait = min(next_flush - time.monotonic(), 0.05 if self.delivery.journal.pending
                           or self.windows.ended else 0.2)
                ready = dict(poller.poll(int(max(0.0, wait) * 1000)))
                now = time.monotonic()
                if self._pull in ready:
                    self._receive_frames(BURST_RECORDS)
                if self._control in ready:
                    self._answer_control()
                if self.uplink.socket in ready:
                    self.uplink.receive(now)
                if self.delivery.commit_due(now):
                    self.delivery.commit()
                if now >= next_check:
                    self._check(now)
                    next_check = now + CHECK_INTERVAL
                if now >= next_flush or self.windows.full() \
                        or (self.windows.ended and now - last_batch >= END_BATCH_GAP):
                    if self.flush_window(force=now - last_batch >= self.settings.beat_interval):
                        last_batch = now
                    next_flush = now + self.settings.flush_interval
                if now >= next_save or (self.watcher.changed and "the registry" not in self._refused):
                    self._save_registry()
                    next_save = now + REGISTRY_INTERVAL
                self.uplink.pump(now)
            self._drain_on_stop()
        finally:
            self.close()

    def _receive_frames(self, max_records: int | None, batch_records: int = MAX_RECORDS) -> None:
        """Take queued frames: up to about ``max_records`` records, or all with ``None``;
        a batch is built on the way whenever the windows are full (``batch_records``)."""
        taken = 0
        while max_records is None or taken < max_records:
            try:
                data = self._pull.recv(zmq.NOBLOCK, copy=True)
            except zmq.Again:
                return
            taken += self.intake.take(data, time.monotonic())
            if self.windows.full(batch_records):
                self.flush_window()

    def _check(self, now: float) -> None:
        """Probe watched processes, after reading every frame they sent or spilled before dying."""
        self._receive_frames(None)
        self._drain_spills()
        for made in self.watcher.check(now, self._sleep_clock.slept()):
            self.windows.add(made)
        self._checks += 1

    def _answer_control(self) -> None:
        while True:
            try:
                identity, empty, body = self._control.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            except ValueError:
                continue
            try:
                reply = self._control_reply(msgpack.unpackb(body, raw=False))
            except Exception as exc:  # noqa: BLE001 - a bad request must not stop the daemon
                reply = {"error": str(exc)[:200]}
            self._control.send_multipart([identity, empty, msgpack.packb(reply)])

    def _control_reply(self, request: dict) -> dict:
        if request.get("op") == "seen":
            # frames queued before the question count, and "seen" means on disk (journaled);
            # the client waits, so the batches of a burst are built after the answer
            self._receive_frames(None, SEEN_BATCH_RECORDS)
            self.delivery.commit()
            return {"seq": self.intake.last_seq(request.get("client")), "daemon": self.daemon_id}
        if request.get("op") == "resume" and isinstance(request.get("client"), str) \
                and type(request.get("seq")) is int:
            self._receive_frames(None)
            self.intake.resume(request["client"], request["seq"])
            return {"seq": self.intake.last_seq(request["client"])}
        if request.get("op") == "stats":
            return self.stats()
        if request.get("op") == "status":
            return self.status()
        if request.get("op") == "stop":
            self.stop()
            return {"stopping": os.getpid()}
        return {"error": f"unknown op {request.get('op')!r}"}

    def stats(self) -> dict:
        """Counters for ``datacat status`` and the batches' ``stats`` field."""
        return {"daemon_id": self.daemon_id, "checks": self._checks,
                "sessions": len(self.windows.sessions), "watched": len(self.watcher.sessions),
                "outbox": self.uplink.backlog, **self.intake.stats(), **self.delivery.stats(),
                **self.uplink.stats}

    def status(self) -> dict:
        """What ``datacat daemon status`` shows: where it sends, what waits, whom it watches."""
        return {"pid": os.getpid(), "daemon_id": self.daemon_id, "brokers": self.settings.brokers,
                "runtime_dir": str(self.settings.paths.directory),
                "spool_dir": str(self.settings.spool.directory),
                "spool_bytes": self.delivery.bytes(), "queued": self.uplink.backlog,
                "unacked": int(self.uplink.head_sent),
                "watched": [{"sid": w.sid, "pid": w.pid} for w in self.watcher.sessions.values()]}

    def flush_window(self, force: bool = False) -> bool:
        """Spool one batch of the current windows for the tier; False if there was nothing.

        ``force`` makes a batch even with no session data: the daemon's liveness beat, which
        carries the ids of the sessions it watches.
        """
        parts = self.windows.build()
        if not parts and not force:
            return False
        self._seq += 1
        batch = build_batch(self.daemon_id, self._key, self._seq, socket.gethostname(), time.time(),
                            self.stats(), list(self.watcher.sessions), parts)
        self.delivery.spool_batch(self.daemon_id, self._seq, encode_batch(batch),
                                  head_sent=self.uplink.head_sent)
        self._save_clients()  # after the batch: a crash between the two resends, never loses
        return True

    def _drain_on_stop(self) -> None:
        """Batch what was received and wait for acks up to the grace period; the rest stays spooled."""
        self._receive_frames(None)
        self.flush_window()
        self._save_registry()
        deadline = time.monotonic() + self.settings.shutdown_grace
        while self.uplink.backlog and time.monotonic() < deadline:
            self.uplink.pump(time.monotonic())
            if self.uplink.socket.poll(100):
                self.uplink.receive(time.monotonic())
        if self.uplink.backlog:
            log.warning("stopping with %d batches spooled for the next run", self.uplink.backlog)

    def close(self) -> None:
        """Close sockets, the journal and the lock; idempotent."""
        if self._lock_fd is None:
            return
        for sock in (self._pull, self._control):
            sock.close(0)
        self.uplink.close()
        self._context.term()
        self.delivery.close()
        self.settings.paths.pid_file.unlink(missing_ok=True)
        os.close(self._lock_fd)
        self._lock_fd = None
