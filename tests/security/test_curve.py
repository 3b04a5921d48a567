"""CurveZMQ on the daemon -> broker link: allow-listed daemons get in, others store nothing."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from datacat.curve import generate_keys
from tests.helpers import DataCatProcess, kill_daemon, wait_until
from tests.tier import Tier

APP = """
import datacat
s = datacat.create_session("Curve", "1.0")
s.log_event("hello")
s.end()
print(s.id)
"""


@pytest.fixture
def keys(tmp_path):
    allowed = tmp_path / "allowed"
    broker_public, broker_secret = generate_keys(tmp_path / "keys", "broker")
    good_public, good_secret = generate_keys(tmp_path / "keys", "good-daemon")
    _, bad_secret = generate_keys(tmp_path / "keys", "unknown-daemon")
    allowed.mkdir()
    (allowed / good_public.name).write_bytes(good_public.read_bytes())
    return {"broker_public": broker_public, "broker_secret": broker_secret, "allowed": allowed,
            "good": good_secret, "bad": bad_secret}


def run_app(tier: Tier, runtime: str, daemon_secret) -> str:
    """An app whose own daemon (auto-started in ``runtime``) uses ``daemon_secret``."""
    env = dict(tier.env, DATACAT_RUNTIME_DIR=str(tier.tmp / runtime),
               DATACAT_DAEMON_SECRET_KEY=str(daemon_secret))
    out = subprocess.run([sys.executable, "-c", APP], env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_only_allow_listed_daemons_reach_the_store(tmp_path, keys):
    env = {**os.environ, "DATACAT_RUNTIME_DIR": str(tmp_path / "run"),
           "DATACAT_FLUSH_INTERVAL": "0.2", "DATACAT_SPOOL_SYNC": "0",
           "DATACAT_BROKER_SECRET_KEY": str(keys["broker_secret"]),
           "DATACAT_BROKER_ALLOWED_KEYS": str(keys["allowed"]),
           "DATACAT_BROKER_PUBLIC_KEY": str(keys["broker_public"])}
    tier = Tier(tmp_path, env)
    env["DATACAT_BROKER"] = tier.frontend
    try:
        for name in ("web", "broker", "ingest"):
            tier.start(name)
        good = run_app(tier, "run-good", keys["good"])
        wait_until(lambda: (s := tier.session(good)) and s["status"] == "ended",
                   message="the allow-listed daemon's session")
        bad = run_app(tier, "run-bad", keys["bad"])
        wait_until(lambda: "refused a daemon" in tier.procs["broker"].log(),
                   message="the broker to refuse the unknown key")
        assert tier.session(bad) is None
        assert tier.get(f"/api/sessions/{bad}").status_code == 404
    finally:
        for runtime in ("run-good", "run-bad"):
            kill_daemon(tmp_path / runtime)
        tier.stop_all()


def test_a_broker_off_loopback_refuses_to_start_without_keys(tmp_path):
    broker = DataCatProcess(["broker", "--frontend", "tcp://0.0.0.0:0", "--backend",
                             "tcp://127.0.0.1:0"], tmp_path / "broker.log")
    assert broker.process.wait(30) == 2
    assert "broker.secret_key is required" in broker.log()


def test_a_daemon_with_a_broker_key_but_no_own_key_names_the_missing_key(tmp_path, keys):
    env = {"DATACAT_RUNTIME_DIR": str(tmp_path / "run"),
           "DATACAT_BROKER_PUBLIC_KEY": str(keys["broker_public"]), "DATACAT_CONFIG": ""}
    daemon = DataCatProcess(["daemon"], tmp_path / "daemon.log", env=env)
    assert daemon.process.wait(30) == 2
    assert "daemon.secret_key is required" in daemon.log()
