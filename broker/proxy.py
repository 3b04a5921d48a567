"""The broker: a ROUTER (daemons) <-> DEALER (ingest workers) ``zmq.proxy``, no Python per message."""

from __future__ import annotations

import logging
import signal
import threading

import zmq

__all__ = ["Broker"]

log = logging.getLogger("datacat.broker")


class Broker:
    """Runs the steerable proxy in a thread; ``close()`` terminates it and closes with linger."""

    def __init__(self, frontend: str, backend: str, linger_ms: int = 1000):
        self._context = zmq.Context()
        self._frontend = self._context.socket(zmq.ROUTER)
        self._backend = self._context.socket(zmq.DEALER)
        for sock, endpoint in ((self._frontend, frontend), (self._backend, backend)):
            sock.setsockopt(zmq.LINGER, linger_ms)
            sock.bind(endpoint)
        self._control_endpoint = f"inproc://broker-control-{id(self)}"
        self._control = self._context.socket(zmq.PAIR)
        self._control.bind(self._control_endpoint)
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
        while not self._stop.wait(0.5):
            pass
        self.close()

    def close(self, timeout: float = 5.0) -> None:
        """Stop the proxy and close every socket; idempotent."""
        if self._context.closed:
            return
        self._control.send(b"TERMINATE")
        self._thread.join(timeout)
        for sock in (self._frontend, self._backend, self._control):
            sock.close()
        self._context.term()
