"""Who may attach: only this stack's workers reach the broker's backend, and every refused daemon
handshake is counted once."""

from __future__ import annotations

import socket

import zmq
import zmq.auth
from zmq.utils.monitor import recv_monitor_message

from datacat.broker.proxy import Broker, BrokerSettings
from datacat.control import ask
from datacat.curve import generate_keys
from tests.helpers import DataCatProcess, free_port, wait_until

FAILED = zmq.EVENT_HANDSHAKE_FAILED_AUTH | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
SUCCEEDED = zmq.EVENT_HANDSHAKE_SUCCEEDED


def _handshake(context: zmq.Context, endpoint: str, kind: int, **options) -> int:
    """Connect a socket with ``options`` and return the first handshake event it sees."""
    sock = context.socket(kind)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.RECONNECT_IVL, 60_000)  # one attempt: refused once, counted once
    for name, value in options.items():
        setattr(sock, name, value)
    monitor = sock.get_monitor_socket(FAILED | SUCCEEDED | zmq.EVENT_DISCONNECTED)
    sock.connect(endpoint)
    try:
        while monitor.poll(20_000):
            event = recv_monitor_message(monitor)["event"]
            if event & (FAILED | SUCCEEDED | zmq.EVENT_DISCONNECTED):
                return event
        raise AssertionError("no handshake outcome in 20 s")
    finally:
        sock.disable_monitor()
        monitor.close(0)
        sock.close(0)


def test_only_workers_with_the_stack_secret_attach():
    backend = f"tcp://127.0.0.1:{free_port()}"
    broker = Broker(BrokerSettings(frontend=f"tcp://127.0.0.1:{free_port()}", backend=backend,
                                   stack_secret="ours")).start()
    context = zmq.Context()
    try:
        def worker(**credentials) -> int:
            return _handshake(context, backend, zmq.REP, **credentials)

        assert worker(plain_username=b"worker", plain_password=b"ours") == SUCCEEDED
        assert worker(plain_username=b"worker", plain_password=b"theirs") != SUCCEEDED
        assert worker() != SUCCEEDED  # a worker of a stack without a secret
    finally:
        context.term()
        broker.close()


def _null_greeting(endpoint: str) -> None:
    """A peer without CURVE: a whole ZMTP 3.0 greeting offering NULL, sent at once (a libzmq
    client may give up before its mechanism is out, and then the broker sees only a drop)."""
    host, port = endpoint.removeprefix("tcp://").rsplit(":", 1)
    greeting = (b"\xff" + b"\0" * 8 + b"\x7f" + b"\x03\x00" + b"NULL".ljust(20, b"\0") + b"\0"
                + b"\0" * 31)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(greeting)
        while sock.recv(4096):  # until the broker closes the connection
            pass


def test_every_refused_daemon_is_counted_once(tmp_path):
    keys, allowed = tmp_path / "keys", tmp_path / "allowed"
    allowed.mkdir()
    broker_public, broker_secret = generate_keys(keys, "broker")
    _, wrong_broker_secret = generate_keys(keys, "not-the-broker")
    strangers = [generate_keys(keys, f"stranger-{i}")[1] for i in range(2)]
    front, stats = f"tcp://127.0.0.1:{free_port()}", f"tcp://127.0.0.1:{free_port()}"
    process = DataCatProcess(["broker", "--frontend", front, "--backend",
                              f"tcp://127.0.0.1:{free_port()}", "--stats", stats],
                             tmp_path / "broker.log",
                             env={"DATACAT_BROKER_SECRET_KEY": str(broker_secret),
                                  "DATACAT_BROKER_ALLOWED_KEYS": str(allowed)})
    context = zmq.Context()
    try:
        wait_until(lambda: ask(stats, {}), 30, message="the broker")
        server_key = zmq.auth.load_certificate(str(broker_public))[0]
        wrong_key = zmq.auth.load_certificate(str(wrong_broker_secret))[0]
        clients = [(server_key, secret) for secret in strangers] + [(wrong_key, strangers[0])]
        for expected, (server, secret) in enumerate(clients, 1):
            public, private = zmq.auth.load_certificate(str(secret))
            _handshake(context, front, zmq.DEALER, curve_serverkey=server, curve_publickey=public,
                       curve_secretkey=private)
            wait_until(lambda n=expected: ask(stats, {})["auth_refused"] >= n, 20,
                       message=f"refusal {expected}")
        _null_greeting(front)  # no CURVE at all
        wait_until(lambda: ask(stats, {})["auth_refused"] >= 4, 20, message="refusal 4")
        assert ask(stats, {})["auth_refused"] == 4
        assert process.log().count("refused a daemon") == 4
    finally:
        context.term()
        process.stop()

