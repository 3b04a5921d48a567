"""The broker: a ROUTER (daemons) <-> DEALER (ingest workers) ``zmq.proxy``, no Python per message.

Either side may require CurveZMQ: the frontend admits the daemon keys of ``allowed_keys``, the
backend the worker keys of ``backend_allowed_keys``; a side bound off loopback must. Without
backend keys, ``stack_secret`` makes the backend take only ZeroMQ PLAIN logins with that secret.
"""

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

__all__ = ["Broker", "BrokerSettings", "STACK_DOMAIN", "STACK_USER", "WORKERS_DOMAIN",
           "BACKEND_TCP"]

log = logging.getLogger("datacat.broker")

STACK_DOMAIN = "datacat-stack"  # the ZAP domain of the backend's worker check
STACK_USER = "worker"
WORKERS_DOMAIN = "datacat-workers"  # the ZAP domain of the backend's CURVE allow-list
_FAILED = zmq.EVENT_HANDSHAKE_FAILED_AUTH | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
_WHO = {"daemon": "a daemon", "worker": "an ingest worker"}
#: The backend's TCP options: a worker whose host vanished without closing the connection
#: (power loss, a cut link) is dropped once a batch sent to it has gone unacknowledged by its
#: kernel for 10 s (``TCP_USER_TIMEOUT``), or an idle connection has failed keepalive probes
#: for about 16 s; the broker then stops routing batches to it.
BACKEND_TCP = {zmq.TCP_MAXRT: 10_000, zmq.TCP_KEEPALIVE: 1, zmq.TCP_KEEPALIVE_IDLE: 10,
               zmq.TCP_KEEPALIVE_INTVL: 2, zmq.TCP_KEEPALIVE_CNT: 3}

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
    backend_secret_key: str | None = None  # CURVE secret key file: the backend requires CURVE
    backend_allowed_keys: str | None = None  # directory of worker public keys allowed in
    linger_ms: int = 1000


class Broker:
    """Runs the steerable proxy in a thread; ``close()`` terminates it and closes with linger."""

    def __init__(self, settings: BrokerSettings):
        frontend, backend, stats = settings.frontend, settings.backend, settings.stats
        for key, endpoint, who in (("secret_key", frontend, "daemons"),
                                   ("backend_secret_key", backend, "ingest workers")):
            if not getattr(settings, key) and not is_loopback(endpoint):
                raise ValueError(f"broker.{key} is required: {endpoint} is not loopback, and "
                                 f"{who} off this machine must use CURVE")
        self._context = zmq.Context()
        self._frontend = self._context.socket(zmq.ROUTER)
        self._backend = self._context.socket(zmq.DEALER)
        self._auth = None
        self._monitors: dict[zmq.Socket, tuple[str, str]] = {}  # monitor -> (peer, refused why)
        self.refused = {"daemon": 0, "worker": 0}
        if settings.secret_key:
            self._require_curve(self._frontend, "daemon", settings.secret_key,
                                ("allowed_keys", settings.allowed_keys), "*")
        if settings.backend_secret_key:
            self._require_curve(self._backend, "worker", settings.backend_secret_key,
                                ("backend_allowed_keys", settings.backend_allowed_keys),
                                WORKERS_DOMAIN)
        elif settings.stack_secret:
            self._require_stack_secret(settings.stack_secret)
        for option, value in BACKEND_TCP.items():
            self._backend.setsockopt(option, value)
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

    def _require_curve(self, sock: zmq.Socket, peer: str, secret_file: str,
                       allowed: tuple[str, str | None], domain: str) -> None:
        """CURVE on ``sock``; a ZAP handler admits only the public keys in the allowed directory."""
        name, directory = allowed
        if not directory or not Path(directory).is_dir():
            raise ValueError(f"broker.{name} must name a directory of {peer} public keys "
                             f"(got {directory!r})")
        public, secret = load_keys(secret_file)
        self._start_auth()
        self._auth.configure_curve(domain=domain, location=directory)
        sock.curve_server = True
        sock.curve_publickey = public
        sock.curve_secretkey = secret
        if domain != "*":
            sock.zap_domain = domain.encode()
        self._watch(sock, peer, "its CURVE key is not allowed")

    def _watch(self, sock: zmq.Socket, peer: str, refused_why: str) -> None:
        """Count and log the failed handshakes of ``sock`` (``serve_forever`` reads them)."""
        self._monitors[sock.get_monitor_socket(_FAILED)] = (peer, refused_why)

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
        self._watch(self._backend, "worker", "its stack secret is wrong")

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
        log.info("broker: daemons -> %s%s, workers -> %s%s", self.frontend,
                 " (CURVE)" if self._frontend.curve_server else "", self.backend,
                 " (CURVE)" if self._backend.curve_server else
                 " (stack secret)" if self._backend.plain_server else "")
        return self

    def serve_forever(self) -> None:
        """Block until SIGTERM/SIGINT (handlers only set a flag), then close."""
        on_stop_signals(self._stop.set)
        self.start()
        poller = zmq.Poller()
        for sock in (self._stats, *self._monitors):
            if sock is not None:
                poller.register(sock, zmq.POLLIN)
        while not self._stop.is_set():
            if not poller.sockets:
                self._stop.wait(0.5)
                continue
            ready = dict(poller.poll(500))
            for monitor in ready.keys() & self._monitors.keys():
                self._count_refusals(monitor)
            if self._stats is not None and self._stats in ready:
                self._stats.recv()
                self._stats.send(msgpack.packb(self.statistics()))
        self.close()

    def _count_refusals(self, monitor: zmq.Socket) -> None:
        """Every failed handshake is one refusal: an unknown key or secret, a wrong broker key, none."""
        peer, refused_why = self._monitors[monitor]
        while monitor.poll(0):
            event = recv_monitor_message(monitor)["event"]
            self.refused[peer] += 1
            why = (refused_why if event == zmq.EVENT_HANDSHAKE_FAILED_AUTH
                   else "its handshake failed (no credentials, or the wrong broker key)")
            log.warning("refused %s: %s (%d so far)", _WHO[peer], why, self.refused[peer])

    def statistics(self) -> dict:
        """Messages and bytes through each side of the proxy since it started."""
        self._control.send(b"STATISTICS")
        values = [struct.unpack("<Q", frame)[0] for frame in self._control.recv_multipart()]
        return dict(zip(_STATISTICS, values), auth_refused=self.refused["daemon"],
                    backend_auth_refused=self.refused["worker"])

    def close(self, timeout: float = 5.0) -> None:
        """Stop the proxy and close every socket; idempotent."""
        if self._context.closed:
            return
        self._control.send(b"TERMINATE")
        self._thread.join(timeout)
        for sock in (self._frontend, self._backend):
            sock.disable_monitor()  # harmless on a socket without a monitor
        for sock in (self._frontend, self._backend, self._control, self._stats, *self._monitors):
            if sock is not None:
                sock.close()
        if self._auth is not None:
            self._auth.stop()
        self._context.term()
