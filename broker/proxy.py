"""The broker: a ROUTER (daemons) <-> DEALER (ingest workers) ``zmq.proxy``, no Python per message."""

from __future__ import annotations

import logging
import signal
import struct
import threading

import msgpack
import zmq

__all__ = ["Broker"]

log = logging.getLogger("datacat.broker")

#: The counters ``proxy_steerable`` reports, in its order.
_STATISTICS = ("frontend_messages_in", "frontend_bytes_in", "frontend_messages_out",
               "frontend_bytes_out", "backend_messages_in", "backend_bytes_in",
               "backend_messages_out", "backend_bytes_out")


class Broker:
    """Runs the steerable proxy in a thread; ``close()`` terminates it and closes with linger."""

    def __init__(self, frontend: str, backend: str, stats: str | None = None,
                 linger_ms: int = 1000):
        self._context = zmq.Context()
        self._frontend = self._context.socket(zmq.ROUTER)
        self._backend = self._context.socket(zmq.DEALER)
        for sock, endpoint in ((self._frontend, frontend), (self._backend, backend)):
            sock.setsockopt(zmq.LINGER, linger_ms)
            sock.bind(endpoint)
        self._control_endpoint = f"inproc://broker-control-{id(self)}"
        self._control = self._context.socket(zmq.PAIR)
        self._control.bind(self._control_endpoint)
        self._stats = None
        if stats:  # a REP socket answering any request with the proxy's counters
            self._stats = self._context.socket(zmq.REP)
            self._stats.setsockopt(zmq.LINGER, 0)
            self._stats.bind(stats)
        self._thread = threading.Thread(target=self._proxy, name="datacat-proxy", daemon=True)
        self._stop = threading.Event()
        self.frontend, self.backend = frontend, backend

    def _proxy(self) -> None:
        control = self._context.socket(zmq.PAIR)
        control.connect(self._control_endpoint)
        try:
            zmq.proxy_steerable(self._frontend, self._backend, None, control)
        except zmq.ContextTerminated:
            pass
        finally:
            control.close(0)

    def start(self) -> Broker:
        self._thread.start()
        log.info("broker: daemons -> %s, workers -> %s", self.frontend, self.backend)
        return self

    def serve_forever(self) -> None:
        """Block until SIGTERM/SIGINT (handlers only set a flag), then close."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self._stop.set())
        self.start()
        while not self._stop.is_set():
            if self._stats is None:
                self._stop.wait(0.5)
            elif self._stats.poll(500):
                self._stats.recv()
                self._stats.send(msgpack.packb(self.statistics()))
        self.close()

    def statistics(self) -> dict:
        """Messages and bytes through each side of the proxy since it started."""
        self._control.send(b"STATISTICS")
        values = [struct.unpack("<Q", frame)[0] for frame in self._control.recv_multipart()]
        return dict(zip(_STATISTICS, values))

    def close(self, timeout: float = 5.0) -> None:
        """Stop the proxy and close every socket; idempotent."""
        if self._context.closed:
            return
        self._control.send(b"TERMINATE")
        self._thread.join(timeout)
        for sock in (self._frontend, self._backend, self._control, self._stats):
            if sock is not None:
                sock.close()
        self._context.term()
