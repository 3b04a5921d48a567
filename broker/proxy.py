"""The broker: a ROUTER (daemons) <-> DEALER (ingest workers) ``zmq.proxy``, no Python per message."""

from __future__ import annotations

import logging
import struct
import threading
from dataclasses import dataclass
from pathlib import Path

import msgpack
import zmq
from zmq.auth.thread import ThreadAuthenticator
from zmq.utils.monitor import recv_monitor_message

from datacat.curve import is_loopback, load_keys
from datacat.process import on_stop_signals

__all__ = ["Broker", "BrokerSettings", "STACK_DOMAIN", "STACK_USER"]

log = logging.getLogger("datacat.broker")

STACK_DOMAIN = "datacat-stack"  # the ZAP domain of the backend's worker check
STACK_USER = "worker"

#: The counters ``proxy_steerable`` reports, in its order.
_STATISTICS = ("frontend_messages_in", "frontend_bytes_in", "frontend_messages_out",
               "frontend_bytes_out", "backend_messages_in", "backend_bytes_in",
               "backend_messages_out", "backend_bytes_out")


@dataclass(frozen=True)
class BrokerSettings:
    frontend: str
    backend: str
    stats: str | None = None
    secret_key: str | None = None  # CURVE secret key file: the frontend then requires CURVE
    allowed_keys: str | None = None  # directory of daemon public keys allowed in
    stack_secret: str | None = None  # only workers that know it may attach to the backend
    linger_ms: int = 1000


class Broker:
    """Runs the steerable proxy in a thread; ``close()`` terminates it and closes with linger."""

    def __init__(self, settings: BrokerSettings):
        frontend, backend, stats = settings.frontend, settings.backend, settings.stats
        if not settings.secret_key and not is_loopback(frontend):
            raise ValueError(f"broker.secret_key is required: the frontend {frontend} is not "
                             "loopback, and daemons off this machine must use CURVE")
        self._context = zmq.Context()
        self._frontend = self._context.socket(zmq.ROUTER)
        self._backend = self._context.socket(zmq.DEALER)
        self._auth = self._monitor = None
        self.refused = 0
        if settings.secret_key:
            self._require_curve(settings)
        if settings.stack_secret:
            self._require_stack_secret(settings.stack_secret)
        for sock, endpoint in ((self._frontend, frontend), (self._backend, backend)):
            sock.setsockopt(zmq.LINGER, settings.linger_ms)
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

    def _require_curve(self, settings: BrokerSettings) -> None:
        """CURVE on the frontend; a ZAP handler admits only the allow-listed daemon keys."""
        if not settings.allowed_keys or not Path(settings.allowed_keys).is_dir():
            raise ValueError("broker.allowed_keys must name a directory of daemon public keys "
                             f"(got {settings.allowed_keys!r})")
        public, secret = load_keys(settings.secret_key)
        self._start_auth()
        self._auth.configure_curve(domain="*", location=settings.allowed_keys)
        self._frontend.curve_server = True
        self._frontend.curve_publickey = public
        self._frontend.curve_secretkey = secret
        self._monitor = self._frontend.get_monitor_socket(
            zmq.EVENT_HANDSHAKE_FAILED_AUTH | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL)

    def _start_auth(self) -> None:
        if self._auth is None:
            self._auth = ThreadAuthenticator(self._context, log=logging.getLogger("datacat.zap"))
            self._auth.start()

    def _require_stack_secret(self, secret: str) -> None:
        """PLAIN on the backend: a worker of another stack (another secret) is refused."""
        self._start_auth()
        self._auth.configure_plain(domain=STACK_DOMAIN, passwords={STACK_USER: secret})
        self._backend.plain_server = True
        self._backend.zap_domain = STACK_DOMAIN.encode()

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
        log.info("broker: daemons -> %s%s, workers -> %s", self.frontend,
                 " (CURVE)" if self._frontend.curve_server else "", self.backend)
        return self

    def serve_forever(self) -> None:
        """Block until SIGTERM/SIGINT (handlers only set a flag), then close."""
        on_stop_signals(self._stop.set)
        self.start()
        poller = zmq.Poller()
        for sock in (self._stats, self._monitor):
            if sock is not None:
                poller.register(sock, zmq.POLLIN)
        while not self._stop.is_set():
            if not poller.sockets:
                self._stop.wait(0.5)
                continue
            ready = dict(poller.poll(500))
            if self._monitor is not None and self._monitor in ready:
                self._count_refusals()
            if self._stats is not None and self._stats in ready:
                self._stats.recv()
                self._stats.send(msgpack.packb(self.statistics()))
        self.close()

    def _count_refusals(self) -> None:
        """Every failed CURVE handshake is one refusal: an unknown key, a wrong broker key, none."""
        while self._monitor.poll(0):
            event = recv_monitor_message(self._monitor)["event"]
            self.refused += 1
            why = ("its CURVE key is not allowed" if event == zmq.EVENT_HANDSHAKE_FAILED_AUTH
                   else "its handshake failed (no CURVE, or the wrong broker key)")
            log.warning("refused a daemon: %s (%d so far)", why, self.refused)

    def statistics(self) -> dict:
        """Messages and bytes through each side of the proxy since it started."""
        self._control.send(b"STATISTICS")
        values = [struct.unpack("<Q", frame)[0] for frame in self._control.recv_multipart()]
        return dict(zip(_STATISTICS, values), auth_refused=self.refused)

    def close(self, timeout: float = 5.0) -> None:
        """Stop the proxy and close every socket; idempotent."""
        if self._context.closed:
            return
        self._control.send(b"TERMINATE")
        self._thread.join(timeout)
        if self._monitor is not None:
            self._frontend.disable_monitor()
        for sock in (self._frontend, self._backend, self._control, self._stats, self._monitor):
            if sock is not None:
                sock.close()
        if self._auth is not None:
            self._auth.stop()
        self._context.term()
