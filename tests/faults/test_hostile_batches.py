"""Batches sent straight at the broker by someone other than the daemon they claim to be."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
import zmq

from datacat.curve import generate_keys, load_keys, load_public_key
from datacat.protocol import decode_ack, encode_batch, new_daemon_identity
from tests.helpers import kill_daemon, wait_until
from tests.tier import Tier

APP = """
import sys, datacat
s = datacat.create_session(sys.argv[1], "1.0")
s.log_event("hello")
s.end()
print(s.id)
"""


def run_app(env: dict, product: str) -> str:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(APP), product], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def ended(tier: Tier, sid: str) -> dict:
    return wait_until(lambda: (s := tier.session(sid)) and s["status"] == "ended" and s, 60,
                      message=f"session {sid} ended")


def send(endpoint: str, batch: dict, curve: tuple | None = None) -> dict:
    """One batch through a DEALER of our own; the tier's ack."""
    dealer = zmq.Context.instance().socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    if curve is not None:
        dealer.curve_serverkey, dealer.curve_publickey, dealer.curve_secretkey = curve
    dealer.connect(endpoint)
    try:
        dealer.send_multipart([b"", encode_batch(batch)])
        assert dealer.poll(30_000), "no ack"
        return decode_ack(dealer.recv_multipart()[-1])
    finally:
        dealer.close()


def batch(daemon_id: str, key: str, seq: int, sessions: dict) -> dict:
    return {"v": 1, "daemon_id": daemon_id, "key": key, "seq": seq, "sent_at": 1.0,
            "sessions": sessions}


def nested(depth: int) -> list:
    value: list = [1]
    for _ in range(depth):
        value = [value]
    return value


def part(product: str) -> dict:
    return {"open": {"product": product, "version": "1", "ts": 1.0},
            "events": [{"ts": 1.0, "name": "e"}]}


def test_a_forged_batch_cannot_silence_another_daemon(tier):
    ended(tier, run_app(tier.env, "Victim"))
    victim = tier.daemon_stats()["daemon_id"]
    _, forger_key = new_daemon_identity()
    ack = send(tier.frontend, batch(victim, forger_key, 2 ** 62, {"fake": part("Forged")}))
    assert ack["status"] == "rejected" and ack["reason"] == "forged_daemon_id"
    assert tier.session("fake") is None
    later = ended(tier, run_app(tier.env, "Victim"))  # the victim's next batches still count
    assert later["event_count"] == 1 and tier.daemon_stats()["daemon_id"] == victim


def test_a_mixed_batch_keeps_its_good_parts(tier):
    daemon_id, key = new_daemon_identity()
    ack = send(tier.frontend, batch(daemon_id, key, 1, {
        "good-1": part("Mixed"),
        "bad-type": {"open": {"product": "Mixed", "version": "1", "ts": 1.0}, "events": "nope"},
        "bad-depth": {"state": [[1.0, {"a": nested(40)}]]},
        "good-2": part("Mixed")}))
    assert ack["status"] == "ok"
    for sid in ("good-1", "good-2"):
        assert wait_until(lambda s=sid: tier.session(s), 30, message=sid)["event_count"] == 1
    assert tier.session("bad-type") is None and tier.session("bad-depth") is None
    counters = wait_until(lambda: [w["counters"] for w in tier.get("/api/v1/stats").json()[
        "workers"] if w["counters"].get("rejected_parts:too_deep")], 30,
        message="the worker's counters")[0]
    assert counters["rejected_parts:malformed"] == 1


@pytest.fixture
def curve_tier(tmp_path):
    keys = tmp_path / "keys"
    broker_public, broker_secret = generate_keys(keys, "broker")
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    pairs = {}
    for name in ("honest", "admitted-forger"):
        public, secret = generate_keys(keys, name)
        (allowed / public.name).write_bytes(public.read_bytes())
        pairs[name] = secret
    env = {**tier_env(tmp_path), "DATACAT_BROKER_SECRET_KEY": str(broker_secret),
           "DATACAT_BROKER_ALLOWED_KEYS": str(allowed),
           "DATACAT_BROKER_PUBLIC_KEY": str(broker_public),
           "DATACAT_DAEMON_SECRET_KEY": str(pairs["honest"])}
    tier = Tier(tmp_path, env)
    env["DATACAT_BROKER"] = tier.frontend
    for name in ("web", "broker", "ingest"):
        tier.start(name)
    yield tier, broker_public, pairs["admitted-forger"]
    kill_daemon(tier.runtime_dir)
    tier.stop_all()


def tier_env(tmp_path) -> dict:
    return {**os.environ, "DATACAT_RUNTIME_DIR": str(tmp_path / "run"),
            "DATACAT_FLUSH_INTERVAL": "0.2", "DATACAT_SPOOL_SYNC": "0"}


def test_an_admitted_curve_key_cannot_forge_another_daemons_batches(curve_tier):
    tier, broker_public, forger_secret = curve_tier
    ended(tier, run_app(tier.env, "Honest"))
    victim = tier.daemon_stats()["daemon_id"]
    public, secret = load_keys(str(forger_secret))
    server = load_public_key(str(broker_public))
    _, forger_key = new_daemon_identity()
    ack = send(tier.frontend, batch(victim, forger_key, 2 ** 62, {"fake": part("Forged")}),
               curve=(server, public, secret))
    assert ack["status"] == "rejected" and ack["reason"] == "forged_daemon_id"
    assert ended(tier, run_app(tier.env, "Honest"))["event_count"] == 1
    assert tier.daemon_stats()["daemon_id"] == victim
