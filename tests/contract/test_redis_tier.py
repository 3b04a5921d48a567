"""The whole tier on a Redis Cluster: two ingest workers, one SIGKILLed mid-stream."""

from __future__ import annotations

import os
import signal

import pytest

from tests.helpers import DataCatProcess, all_events, wait_until
from tests.tier import Tier

EVENTS, PATCHES = 6_000, 600


class ClusterTier(Tier):
    """``Tier`` with its store on the test session's Redis Cluster."""

    redis_url: str = ""

    @property
    def store(self) -> str:
        return self.redis_url


@pytest.fixture
def tier(tmp_path, redis_cluster):
    env = {**os.environ, "DATACAT_RUNTIME_DIR": str(tmp_path / "run"),
           "DATACAT_FLUSH_INTERVAL": "0.2", "DATACAT_SPOOL_SYNC": "0"}
    tier = ClusterTier(tmp_path, env)
    tier.redis_url = redis_cluster.fresh_url()
    env["DATACAT_BROKER"] = tier.frontend
    for name in ("web", "broker", "ingest", "daemon"):
        tier.start(name)
    second = DataCatProcess(["ingest", "--backend", f"tcp://127.0.0.1:{tier.ports['back']}",
                             "--store", tier.store], tmp_path / "ingest-second.log", env=env)
    yield tier
    if second.process.poll() is None:
        second.stop()
    tier.stop_all()


def test_a_worker_killed_mid_stream_loses_and_repeats_nothing(tier):
    app, sid = tier.stream(EVENTS, PATCHES, pause=0.02)
    wait_until(lambda: tier.count(sid) >= EVENTS // 4, 60, message="a quarter of the stream")
    tier.kill("ingest", signal.SIGKILL)  # the other worker carries on; resent batches dedup
    wait_until(lambda: tier.count(sid) >= EVENTS // 2, 60, message="half the stream")
    tier.start("ingest")
    assert app.wait(90) == 0
    wait_until(lambda: (s := tier.session(sid)) and s["status"] == "ended"
               and s["event_count"] >= EVENTS, 90, message="every event and the end")
    events = [event["data"]["i"] for event in all_events(tier.get, sid)]
    assert events == list(range(EVENTS)), "lost, duplicated or reordered events"
    assert tier.get(f"/api/sessions/{sid}").json()["state"] == {
        "patch": PATCHES - 1, "nested": {"last": EVENTS - EVENTS // PATCHES}}
    listed = tier.get("/api/v1/sessions", status="ended").json()
    assert [s["id"] for s in listed["items"]] == [sid]
