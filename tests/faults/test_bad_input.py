"""Bad input hurts nobody else: garbage at the live daemon, worker and REST write routes."""

from __future__ import annotations

import json

import httpx
import msgpack
import zmq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datacat.protocol import Kind, decode_ack, encode_batch, encode_frame, new_daemon_identity
from datacat.runtime import RuntimePaths
from tests.helpers import wait_until

SID = "01a2a3a4-0000-7000-8000-000000000001"
VALID_FRAME = encode_frame("client-x", 1, 0, [
    [Kind.OPEN, SID, 1.0, "Bad", "1", 1, 1.0, "h", None, None, "t", 60.0, None, None],
    [Kind.EVENT, SID, 2.0, "ok", "info", None, [], None, {"i": 1}, None]])
HEALTH = settings(max_examples=150, deadline=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture])


def mutated(data: bytes):
    """Valid bytes with some positions overwritten, truncated or extended."""
    return st.lists(st.tuples(st.integers(0, len(data) - 1), st.integers(0, 255)),
                    max_size=6).flatmap(
        lambda edits: st.integers(0, len(data)).map(lambda cut: _apply(data, edits, cut)))


def _apply(data: bytes, edits, cut: int) -> bytes:
    buf = bytearray(data)
    for position, value in edits:
        buf[position] = value
    return bytes(buf[:cut]) if cut % 3 == 0 else bytes(buf)


garbage = st.one_of(st.binary(max_size=300), mutated(VALID_FRAME),
                    st.builds(msgpack.packb, st.recursive(
                        st.none() | st.integers(-2**63, 2**64 - 1) | st.text(max_size=10),
                        lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.text(max_size=5), inner, max_size=4))))


def test_the_daemon_survives_garbage_frames(tier):
    context = zmq.Context.instance()
    push = context.socket(zmq.PUSH)
    push.setsockopt(zmq.LINGER, 1000)
    push.connect(RuntimePaths(tier.runtime_dir).daemon_endpoint)
    sent = []

    @HEALTH
    @given(garbage)
    def throw(payload):
        sent.append(payload)
        push.send(payload)

    throw()
    wait_until(lambda: tier.daemon_stats()["frames_in"] >= len(sent), message="every frame read")
    assert sum(tier.daemon_stats()["frames_rejected"].values()) > 0
    push.send(VALID_FRAME)
    push.close()
    wait_until(lambda: tier.count(SID) >= 1, message="a valid frame after the garbage")
    assert tier.procs["daemon"].process.poll() is None


def test_the_worker_survives_garbage_batches(tier):
    context = zmq.Context.instance()
    dealer = context.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    dealer.connect(tier.frontend)
    def batch_of(daemon_id: str, key: str) -> bytes:
        return encode_batch({"v": 1, "daemon_id": daemon_id, "key": key, "seq": 1,
                             "sent_at": 1.0, "sessions": {
                                 SID: {"open": {"product": "Bad", "version": "1", "ts": 1.0},
                                       "events": [{"ts": 1.0, "name": "ok"}]}}})

    # the fuzzer mutates a batch of one identity; the good batch comes from another, so no
    # mutation can have taken its (daemon_id, seq) first
    good = batch_of(*new_daemon_identity())
    statuses = []

    def ask(payload: bytes) -> dict:
        dealer.send_multipart([b"", payload])
        assert dealer.poll(10_000), "the worker stopped answering"
        return decode_ack(dealer.recv_multipart()[-1])

    @HEALTH
    @given(st.one_of(st.binary(max_size=300), mutated(good)))
    def throw(payload):
        statuses.append(ask(payload)["status"])

    throw()
    assert "rejected" in statuses and "error" not in statuses
    assert ask(batch_of(*new_daemon_identity()))["status"] == "ok"
    dealer.close()
    wait_until(lambda: tier.count(SID) >= 1, message="the good batch stored")
    assert tier.procs["ingest"].process.poll() is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=5), max_leaves=30)


def test_rest_writes_answer_random_json_with_4xx_and_keep_data(tier):
    base = f"http://127.0.0.1:{tier.ports['web']}"
    sid = httpx.post(f"{base}/api/sessions", json={"product": "Rest", "version": "1"}).json()[
        "session_id"]
    httpx.post(f"{base}/api/sessions/{sid}/state", json={"keep": {"me": 1}})
    routes = ["state", "events", "metrics", "heartbeat", "end", "crash"]

    @HEALTH
    @given(st.sampled_from(routes), json_values)
    def throw(route, body):
        other = httpx.post(f"{base}/api/sessions", json={"product": "Rest", "version": "1"})
        target = other.json()["session_id"]
        response = httpx.post(f"{base}/api/sessions/{target}/{route}", content=json.dumps(body),
                              headers={"content-type": "application/json"}, timeout=10)
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            assert set(response.json()) >= {"error", "detail"}

    throw()
    bomb = "[" * 100_000 + "]" * 100_000
    response = httpx.post(f"{base}/api/sessions/{sid}/state", content=bomb,
                          headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500
    huge_key = httpx.post(f"{base}/api/sessions/{sid}/state", json={"k" * 2_000_000: 1})
    assert huge_key.status_code in (400, 413, 422)
    assert httpx.get(f"{base}/api/sessions/{sid}").json()["state"] == {"keep": {"me": 1}}
