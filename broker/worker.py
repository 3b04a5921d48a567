"""An ingest worker: REP on the brokers' backends; validate, dedup + apply atomically, then ack.

One worker may serve several brokers (their backends, comma-separated): requests from each are
taken in turn and every ack goes back the way its batch came. Off loopback the link must use
CurveZMQ (``curve``: the brokers' backend public key and this worker's key pair).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import zlib
from collections import Counter

import zmq
from zmq.utils.monitor import recv_monitor_message

from datacat.curve import CurveKeys, is_loopback
from datacat.ids import uuid7
from datacat.process import on_stop_signals
from datacat.protocol import ProtocolError, decode_batch, encode_ack, peek_seq

from .apply import apply, retire_daemon
from .errors import DuplicateBatch, InvalidBatch
from .retention import PER_PASS, Retention
from .store import Store

__all__ = ["IngestWorker"]

log = logging.getLogger("datacat.ingest")


class IngestWorker:
    """Takes one batch at a time; a bad batch is acked as rejected and the loop goes on."""

    def __init__(self, store: Store, backend: str, daemon_timeout: float = 60.0,
                 stack_secret: str | None = None, curve: CurveKeys | None = None,
                 retention: Retention | None = None):
        endpoints = [part.strip() for part in backend.split(",") if part.strip()]
        remote = [endpoint for endpoint in endpoints if not is_loopback(endpoint)]
        if remote and curve is None:
            raise ValueError(f"ingest.broker_public_key is required: {remote[0]} is not "
                             "loopback, and the link to the broker must use CURVE")
        self.store = store
        self.daemon_timeout = daemon_timeout
        self.retention = retention or Retention()
        self._next_expiry = 0.0  # time.monotonic() of the next retention pass
        self._context = zmq.Context()
        self._socket = self._context.socket(zmq.REP)
        self._socket.setsockopt(zmq.LINGER, 1000)
        if curve is not None:  # encrypted, and the broker admits only allow-listed worker keys
            curve.apply(self._socket)
        elif stack_secret:  # the broker admits only workers of its own stack
            self._socket.plain_username = b"worker"
            self._socket.plain_password = stack_secret.encode()
        self._refusals = self._socket.get_monitor_socket(zmq.EVENT_HANDSHAKE_FAILED_AUTH
                                                         | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL)
        for endpoint in endpoints:
            self._socket.connect(endpoint)
        self._stop = threading.Event()
        self.counters: Counter = Counter()
        self.worker_id = uuid7()
        self.lag = 0.0  # seconds between a daemon sending its last batch and it being applied

    def stop(self) -> None:
        """Finish the batch in hand, then leave ``run`` (safe from a signal handler)."""
        self._stop.set()

    def install_signal_handlers(self) -> None:
        on_stop_signals(self.stop)

    def run(self) -> None:
        sweep_every = max(0.2, min(5.0, self.daemon_timeout / 4))
        next_sweep = time.monotonic() + sweep_every
        poller = zmq.Poller()
        poller.register(self._socket, zmq.POLLIN)
        poller.register(self._refusals, zmq.POLLIN)
        try:
            while not self._stop.is_set():
                ready = dict(poller.poll(200))
                if self._refusals in ready:
                    self._note_refusals()
                if self._socket in ready:
                    payload = self._socket.recv()
                    self._socket.send(self.handle(payload))
                if time.monotonic() >= next_sweep:
                    self.sweep(time.time())
                    self.expire(time.time())
                    self.report(time.time())
                    next_sweep = time.monotonic() + sweep_every
            self.report(time.time())
        finally:
            self.close()

    def _note_refusals(self) -> None:
        """A broker refused this worker's handshake: logged once, counted every time."""
        while self._refusals.poll(0):
            recv_monitor_message(self._refusals)
            if not self.counters["refused_by_broker"]:
                log.error("a broker refused this worker: check ingest.broker_public_key, "
                          "ingest.secret_key (allow-listed on the broker) or the stack secret")
            self.counters["refused_by_broker"] += 1

    def report(self, now: float) -> None:
        """Publish this worker's counters in the store (``datacat status``, ``/api/v1/stats``)."""
        record = {"id": self.worker_id, "host": socket.gethostname(), "pid": os.getpid(),
                  "last_seen": now, "lag": self.lag, "counters": dict(self.counters)}
        try:
            self.store.put_worker(record)
        except Exception:  # noqa: BLE001 - counters are not worth stopping ingest for
            log.exception("could not publish the worker's counters")

    def sweep(self, now: float) -> int:
        """Sessions of daemons silent for ``daemon_timeout`` become ``lost``; returns how many."""
        marked = 0
        try:
            for daemon in self.store.daemons():
                if now - daemon["last_seen"] > self.daemon_timeout:
                    marked += retire_daemon(self.store, daemon["id"], self.daemon_timeout, now)
        except Exception:  # noqa: BLE001 - the next sweep tries again
            log.exception("sweeping silent daemons failed")
        if marked:
            self.counters["lost"] += marked
            log.warning("%d sessions lost: their daemon went silent", marked)
        return marked

    def expire(self, now: float) -> int:
        """A retention pass, when one is due; returns how many sessions it deleted."""
        every = self.retention.every()
        if every is None or time.monotonic() < self._next_expiry:
            return 0
        self._next_expiry = time.monotonic() + every
        try:
            deleted = self.retention.run(self.store, now)
        except Exception:  # noqa: BLE001 - the next pass tries again
            log.exception("retention pass failed")
            return 0
        self.counters["retention_deleted"] += deleted
        if deleted >= PER_PASS:  # a backlog: the next pass comes at the next sweep
            self._next_expiry = 0.0
        return deleted

    def handle(self, payload: bytes) -> bytes:
        """Process one batch and return the ack to send."""
        self.counters["batches"] += 1
        invalid: Counter = Counter()  # event rows left out, by reason
        try:
            batch, rejected = decode_batch(payload, invalid=invalid)
        except ProtocolError as exc:
            seq, daemon_id = peek_seq(payload)
            return self._reject(seq, daemon_id, exc.reason, str(exc), zlib.crc32(payload))
        seq, daemon_id = batch["seq"], batch["daemon_id"]
        self.lag = max(0.0, time.time() - batch["sent_at"])
        try:
            result = apply(self.store, batch, now=time.time(), skip_invalid=True)
        except DuplicateBatch:
            self.counters["duplicates"] += 1
            return encode_ack(seq, "duplicate", daemon_id=daemon_id)
        except InvalidBatch as exc:
            return self._reject(seq, daemon_id, exc.reason, str(exc))
        except Exception as exc:  # noqa: BLE001 - store trouble: the daemon resends later
            self.counters["errors"] += 1
            log.exception("could not apply batch %s from %s", seq, batch["daemon_id"])
            return encode_ack(seq, "error", type(exc).__name__, daemon_id)
        for sid, reason in {**rejected, **result.rejected}.items():
            self.counters[f"rejected_parts:{reason}"] += 1
            log.warning("batch %s of %s: skipped session %s (%s)", seq, daemon_id, sid, reason)
        if invalid:
            self.counters.update({f"records_invalid:{reason}": n for reason, n in invalid.items()})
            log.warning("batch %s of %s: left out invalid event records %s", seq, daemon_id,
                        dict(invalid))
        self.counters["applied"] += 1
        self.counters["events"] += result.events
        self.counters["patches"] += result.patches
        return encode_ack(seq, "ok", daemon_id=daemon_id)

    def _reject(self, seq: int, daemon_id: str | None, reason: str, detail: str,
                crc: int | None = None) -> bytes:
        self.counters[f"rejected:{reason}"] += 1
        log.warning("rejected batch %s of %s: %s", seq, daemon_id, detail)
        return encode_ack(seq, "rejected", reason, daemon_id, crc)

    def close(self) -> None:
        """Close the socket and the store; idempotent."""
        if self._context.closed:
            return
        self._socket.disable_monitor()
        self._refusals.close()
        self._socket.close()
        self._context.term()
        self.store.close()
