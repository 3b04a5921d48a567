"""Daemons for a throughput bench: pre-built batches sent through a real broker over CURVE.

Each daemon has its own key and id and its own sessions, and keeps one batch in flight, as a
real daemon does; many of them together keep every worker behind the broker busy. Batches
are encoded before the clock starts, so the sender is never what is measured.
"""

from __future__ import annotations

import time
from collections import deque

import zmq
from _util import batch, make_event, open_part

from datacat.curve import CurveKeys
from datacat.protocol import daemon_id_of, decode_ack, encode_batch

__all__ = ["Feeder"]


class _Daemon:
    def __init__(self, number: int, sessions: int, events: int):
        self.key = f"bench-scaling-daemon-{number}"
        self.id = daemon_id_of(self.key)
        self.sids = [f"0190b5a1-0000-7000-{0x8000 + number:04x}-{s:012d}"
                     for s in range(sessions)]
        now = time.time()
        self.events = [make_event(i, now + i * 1e-3) for i in range(events // sessions)]
        self.seq = 0

    def next_payload(self) -> bytes:
        self.seq += 1
        parts = {sid: {"events": self.events} for sid in self.sids}
        if self.seq == 1:
            parts = {sid: {**open_part("scaling"), **part} for sid, part in parts.items()}
        return encode_batch({**batch(self.seq, parts), "daemon_id": self.id, "key": self.key})


class Feeder:
    """``daemons`` daemons, ``events`` events per batch over ``sessions`` sessions each."""

    def __init__(self, endpoint: str, curve: CurveKeys, daemons: int, sessions: int,
                 events: int):
        self.events_per_batch = events // sessions * sessions
        self.daemons = {daemon.id: daemon for daemon in
                        (_Daemon(n, sessions, events) for n in range(daemons))}
        self.events_sent = 0  # in batches acked "ok"
        self._context = zmq.Context()
        self._socket = self._context.socket(zmq.DEALER)
        self._socket.setsockopt(zmq.LINGER, 0)
        curve.apply(self._socket)
        self._socket.connect(endpoint)

    def build(self, batches: int) -> dict[str, deque]:
        """``batches`` payloads, spread over the daemons, each daemon's in seq order."""
        queues = {daemon_id: deque() for daemon_id in self.daemons}
        daemons = list(self.daemons.values())
        for n in range(batches):
            daemon = daemons[n % len(daemons)]
            queues[daemon.id].append(daemon.next_payload())
        return queues

    def send(self, queues: dict[str, deque], timeout: float = 120.0) -> float:
        """Send every queued payload, each daemon's next on its last one's ack; the seconds
        from the first send to the last ack. Any ack but ``ok`` is an error."""
        in_flight = 0
        start = time.perf_counter()
        for queue in queues.values():
            if queue:
                self._socket.send_multipart([b"", queue.popleft()])
                in_flight += 1
        while in_flight:
            if not self._socket.poll(timeout * 1000):
                raise RuntimeError(f"no ack within {timeout:.0f} s ({in_flight} batches out)")
            ack = decode_ack(self._socket.recv_multipart()[-1])
            if ack["status"] != "ok":
                raise RuntimeError(f"a batch was not applied: {ack}")
            self.events_sent += self.events_per_batch
            queue = queues[ack["daemon_id"]]
            if queue:
                self._socket.send_multipart([b"", queue.popleft()])
            else:
                in_flight -= 1
        return time.perf_counter() - start

    def close(self) -> None:
        self._socket.close()
        self._context.term()
