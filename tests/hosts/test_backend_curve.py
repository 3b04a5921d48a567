"""CurveZMQ on the broker <-> ingest worker link: allow-listed workers attach, others are refused
and counted, and a backend or worker off loopback without keys refuses to start."""

from __future__ import annotations

import threading
from contextlib import contextmanager

import pytest
import zmq

from datacat.broker.proxy import Broker, BrokerSettings
from datacat.broker.store import open_store
from datacat.broker.worker import IngestWorker
from datacat.control import ask
from datacat.curve import generate_keys, load_keys, load_public_key
from datacat.daemon.uplink import CurveKeys
from datacat.protocol import build_batch, decode_ack, encode_batch, new_daemon_identity
from tests.helpers import DataCatProcess, free_port, wait_until
from tests.security.test_refusals import SUCCEEDED, _handshake


@pytest.fixture
def keys(tmp_path):
    """The backend's key pair, an allow-listed worker's, a stranger's and a wrong broker key."""
    allowed = tmp_path / "workers"
    allowed.mkdir()
    backend_public, backend_secret = generate_keys(tmp_path / "keys", "backend")
    worker_public, worker_secret = generate_keys(tmp_path / "keys", "ingest-1")
    (allowed / worker_public.name).write_bytes(worker_public.read_bytes())
    return {"backend_public": backend_public, "backend_secret": backend_secret,
            "allowed": allowed, "worker": worker_secret,
            "stranger": generate_keys(tmp_path / "keys", "stranger")[1],
            "not_the_broker": generate_keys(tmp_path / "keys", "not-the-broker")[0]}


def _curve(server_public, secret) -> dict:
    public, private = load_keys(str(secret))
    return {"curve_serverkey": load_public_key(str(server_public)), "curve_publickey": public,
            "curve_secretkey": private}


def test_only_allow_listed_workers_attach_and_every_refusal_is_counted(tmp_path, keys):
    back, stats = f"tcp://127.0.0.1:{free_port()}", f"tcp://127.0.0.1:{free_port()}"
    broker = DataCatProcess(
        ["broker", "--frontend", f"tcp://127.0.0.1:{free_port()}", "--backend", back,
         "--stats", stats], tmp_path / "broker.log",
        env={"DATACAT_BROKER_BACKEND_SECRET_KEY": str(keys["backend_secret"]),
             "DATACAT_BROKER_BACKEND_ALLOWED_KEYS": str(keys["allowed"]),
             "DATACAT_STACK_SECRET": "ours"})  # CURVE replaces the stack secret's PLAIN check
    context = zmq.Context()
    try:
        wait_until(lambda: ask(stats, {}), 30, message="the broker")
        assert "(CURVE)" in broker.log().splitlines()[-1]

        def worker(**options) -> int:
            return _handshake(context, back, zmq.REP, **options)

        assert worker(**_curve(keys["backend_public"], keys["worker"])) == SUCCEEDED
        wrong_keys = [_curve(keys["backend_public"], keys["stranger"]),  # a key not allowed
                      _curve(keys["not_the_broker"], keys["worker"])]  # the wrong broker key
        for expected, options in enumerate(wrong_keys, 1):
            assert worker(**options) != SUCCEEDED
            wait_until(lambda n=expected: ask(stats, {})["backend_auth_refused"] >= n, 20,
                       message=f"refusal {expected}")
        counters = ask(stats, {})
        assert counters["backend_auth_refused"] == 2 and counters["auth_refused"] == 0
        assert broker.log().count("refused an ingest worker") == 2
        # Without CURVE the handshake fails on the mechanism; the client may hang up before the
        # broker has read its greeting, so these are refused but not always counted.
        assert worker(plain_username=b"worker", plain_password=b"ours") != SUCCEEDED
        assert worker() != SUCCEEDED
    finally:
        context.term()
        assert broker.stop() == 0


@contextmanager
def curve_backend(keys, worker_secret):
    """An in-process broker whose backend requires CURVE, and a worker with ``worker_secret``;
    yields ``(frontend, worker)``."""
    front, back = f"tcp://127.0.0.1:{free_port()}", f"tcp://127.0.0.1:{free_port()}"
    broker = Broker(BrokerSettings(frontend=front, backend=back,
                                   backend_secret_key=str(keys["backend_secret"]),
                                   backend_allowed_keys=str(keys["allowed"]))).start()
    curve = CurveKeys(load_public_key(str(keys["backend_public"])),
                      *load_keys(str(worker_secret)))
    worker = IngestWorker(open_store("memory://"), back, curve=curve)
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        yield front, worker
    finally:
        worker.stop()
        thread.join(30)
        broker.close()


def test_a_worker_with_keys_takes_batches_over_curve(keys):
    with curve_backend(keys, keys["worker"]) as (front, _):
        dealer = zmq.Context.instance().socket(zmq.DEALER)
        dealer.setsockopt(zmq.LINGER, 0)
        dealer.connect(front)
        try:
            daemon_id, key = new_daemon_identity()
            batch = build_batch(daemon_id, key, 1, "h", 1.0, {}, [], {})
            dealer.send_multipart([b"", encode_batch(batch)])
            assert dealer.poll(30_000), "no ack through the CURVE backend"
            assert decode_ack(dealer.recv_multipart()[-1])["status"] == "ok"
        finally:
            dealer.close()


def test_a_worker_the_broker_refuses_says_so(keys):
    with curve_backend(keys, keys["stranger"]) as (_, worker):
        wait_until(lambda: worker.counters["refused_by_broker"], 30,
                   message="the worker to notice the refusal")


@pytest.mark.parametrize(("args", "env", "message"), [
    (["broker", "--frontend", "tcp://127.0.0.1:0", "--backend", "tcp://0.0.0.0:0"], {},
     "broker.backend_secret_key is required"),
    (["ingest", "--store", "memory://", "--backend", "tcp://127.0.0.1:1,tcp://10.250.0.1:1"], {},
     "ingest.broker_public_key is required"),
    (["ingest", "--store", "memory://", "--backend", "tcp://10.250.0.1:1"],
     {"DATACAT_INGEST_BROKER_PUBLIC_KEY": "KEYS/backend.key"}, "ingest.secret_key is required"),
    (["ingest", "--store", "memory://"], {"DATACAT_INGEST_BROKER_PUBLIC_KEY": "KEYS/nothing.key",
                                          "DATACAT_INGEST_SECRET_KEY": "KEYS/ingest-1.key_secret"},
     "cannot read the CURVE key"),
])
def test_off_loopback_without_keys_is_one_line_and_status_2(tmp_path, keys, args, env, message):
    env = {name: value.replace("KEYS", str(tmp_path / "keys")) for name, value in env.items()}
    process = DataCatProcess(args, tmp_path / "out.log", env={"DATACAT_CONFIG": "", **env})
    assert process.process.wait(30) == 2
    lines = process.log().strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines
