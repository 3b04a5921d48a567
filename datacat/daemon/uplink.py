"""The daemon's link to the tier: DEALER to the broker, one batch in flight, resend until acked.

Batches come from the spool, oldest first, and leave it only when the tier acks them.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass

import zmq

from ..curve import CurveKeys
from ..protocol import ProtocolError, decode_ack
from .spool import BatchSpool, SpoolEntry

__all__ = ["Uplink", "Backoff"]

log = logging.getLogger("datacat.daemon.uplink")


@dataclass
class Backoff:
    """Capped exponential backoff with full jitter."""

    first: float = 2.0
    cap: float = 30.0

    def delay(self, attempt: int, rng: random.Random = random) -> float:
        return rng.uniform(0.5, 1.0) * min(self.cap, self.first * 2 ** max(0, attempt - 1))


class Uplink:
    """Sends queued batches in order; a batch leaves the queue only when the tier acks it."""

    def __init__(self, context: zmq.Context, endpoints: list[str], spool: BatchSpool,
                 backoff: Backoff | None = None, curve: CurveKeys | None = None):
        self.socket = context.socket(zmq.DEALER)
        self.socket.setsockopt(zmq.LINGER, 0)
        if curve is not None:
            curve.apply(self.socket)
        self.socket.setsockopt(zmq.IMMEDIATE, 1)
        self.socket.setsockopt(zmq.SNDHWM, 10)
        for endpoint in endpoints:
            self.socket.connect(endpoint)
        self.backoff = backoff or Backoff()
        self.spool = spool
        self._head: tuple[SpoolEntry, bytes] | None = None  # the batch in flight, loaded
        self._attempts = 0
        self._resend_at: float | None = None
        self.stats = {"batches_out": 0, "bytes_out": 0, "acked": 0, "resends": 0,
                      "duplicates": 0, "rejected": 0, "retried": 0}

    @property
    def head_sent(self) -> bool:
        """The oldest batch went out at least once (it may be applied: leave it as it is)."""
        return self._attempts > 0

    @property
    def backlog(self) -> int:
        """Batches not yet acknowledged."""
        return len(self.spool.entries)

    def _load_head(self) -> tuple[SpoolEntry, bytes] | None:
        """The oldest batch and its payload (a damaged one is quarantined and skipped)."""
        while self.spool.entries:
            entry = self.spool.entries[0]
            if self._head is not None and self._head[0] is entry:
                return self._head
            payload = self.spool.load(entry)
            if payload is not None:
                self._head = (entry, payload)
                return self._head
            self._attempts, self._resend_at = 0, None
        return None

    def pump(self, now: float) -> None:
        """Send the oldest batch if none is in flight, or resend it when its ack is late."""
        if not self.spool.entries or (self._resend_at is not None and now < self._resend_at):
            return
        head = self._load_head()
        if head is None:
            return
        _, payload = head
        try:
            self.socket.send_multipart([b"", payload], zmq.NOBLOCK)
        except zmq.Again:  # no broker connected: try again soon
            self._resend_at = now + 0.2
            return
        if self._attempts:
            self.stats["resends"] += 1
        else:
            self.stats["batches_out"] += 1
            self.stats["bytes_out"] += len(payload)
        self._attempts += 1
        self._resend_at = now + self.backoff.delay(self._attempts)

    def receive(self, now: float) -> None:
        """Handle every ack waiting on the socket."""
        while True:
            try:
                frames = self.socket.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            try:
                ack = decode_ack(frames[-1])
            except ProtocolError as exc:
                log.warning("ignoring a malformed ack: %s", exc)
                continue
            self._settle(ack, now)

    def _settle(self, ack: dict, now: float) -> None:
        head = self.spool.entries[0] if self.spool.entries else None
        if head is None or not _names(ack, head):
            return  # a late ack for a batch already settled
        status = ack.get("status")
        if status == "error":  # the tier could not write it now: resend after a backoff
            self.stats["retried"] += 1
            self._resend_at = now + self.backoff.delay(self._attempts)
            return
        if status == "duplicate":
            self.stats["duplicates"] += 1
        elif status == "rejected":
            self.stats["rejected"] += 1
            log.error("the tier rejected batch %s: %s", ack["seq"], ack.get("reason"))
        self.stats["acked"] += 1
        self.spool.remove(head)
        self._head = None
        self._attempts = 0
        self._resend_at = None
        self.pump(now)

    def close(self) -> None:
        self.socket.close(0)


def _names(ack: dict, entry: SpoolEntry) -> bool:
    """Whether ``ack`` answers ``entry``: by ``(seq, daemon_id)``, or for a batch the tier could
    not even read, by the CRC-32 of the bytes it received."""
    if ack["seq"] >= 0:
        return (ack["seq"], ack.get("daemon_id")) == (entry.seq, entry.daemon_id)
    return ack.get("crc") == entry.crc
