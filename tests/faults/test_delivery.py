"""Lose nothing: kill every process mid-stream and count what arrives, exactly."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

import psutil

from tests.helpers import all_events, wait_until

EVENTS, PATCHES = 20_000, 2_000


def finished(tier, app, sid: str, timeout: float = 90.0) -> list[int]:
    """Wait for the app to exit and its ended session to hold every event; return them."""
    assert app.wait(timeout) == 0
    wait_until(lambda: (s := tier.session(sid)) and s["status"] == "ended"
               and s["event_count"] >= EVENTS, timeout, message="every event and the end")
    return tier.events(sid)


def assert_exact(tier, sid: str, events: list[int]) -> None:
    assert events == list(range(EVENTS)), "lost, duplicated or reordered events"
    assert tier.get(f"/api/sessions/{sid}").json()["state"] == {
        "patch": PATCHES - 1, "nested": {"last": EVENTS - EVENTS // PATCHES}}


def test_worker_then_broker_killed_mid_stream(tier):
    app, sid = tier.stream(EVENTS, PATCHES, pause=0.05)
    wait_until(lambda: tier.count(sid) >= 4_000, 60, message="a quarter of the stream")
    tier.kill("ingest")
    tier.start("ingest")
    wait_until(lambda: tier.count(sid) >= 10_000, 60, message="half the stream")
    tier.kill("broker")
    tier.start("broker")
    assert_exact(tier, sid, finished(tier, app, sid))


def test_whole_tier_down_for_30_seconds(tier):
    app, sid = tier.stream(EVENTS, PATCHES, pause=0.2)  # about 40 s of streaming
    wait_until(lambda: tier.count(sid) >= 2_000, 60, message="the stream to start")
    daemon = psutil.Process(tier.procs["daemon"].process.pid)
    baseline = daemon.memory_info().rss
    tier.kill("ingest", signal.SIGTERM)
    tier.kill("broker", signal.SIGTERM)
    outage_end = time.monotonic() + 30
    peak = [baseline]

    def outage_over() -> bool:
        peak[0] = max(peak[0], daemon.memory_info().rss)
        return time.monotonic() >= outage_end

    wait_until(outage_over, 40, interval=0.5, message="the 30 s outage")
    backlog = tier.daemon_stats()["spool_batches"]
    assert backlog >= 20  # batches waited on disk, one per flush
    tier.start("broker")
    tier.start("ingest")
    assert_exact(tier, sid, finished(tier, app, sid))
    assert peak[0] - baseline < 30 * 1024 * 1024, f"daemon RSS grew {peak[0] - baseline} bytes"


def test_daemon_sigterm_mid_stream_loses_nothing(tier):
    app, sid = tier.stream(EVENTS, PATCHES, pause=0.05)
    wait_until(lambda: tier.count(sid) >= 6_000, 60, message="a third of the stream")
    tier.kill("daemon", signal.SIGTERM)
    tier.start("daemon")
    assert_exact(tier, sid, finished(tier, app, sid))


def test_daemon_sigkill_mid_stream_loses_nothing(tier):
    app, sid = tier.stream(EVENTS, PATCHES, pause=0.05)
    wait_until(lambda: tier.count(sid) >= 6_000, 60, message="a third of the stream")
    tier.kill("daemon", signal.SIGKILL)
    tier.start("daemon")  # a supervisor's restart; the app resends what died with the old one
    assert_exact(tier, sid, finished(tier, app, sid))


def test_tiny_spool_keeps_every_lifecycle_record_and_counts_drops(tier):
    tier.kill("ingest", signal.SIGTERM)
    tier.kill("broker", signal.SIGTERM)
    tier.kill("daemon", signal.SIGTERM)
    tier.env["DATACAT_SPOOL_MAX_BYTES"] = "60000"
    tier.start("daemon")
    out = subprocess.run([sys.executable, "-c", textwrap.dedent("""
        import datacat
        for n in range(20):
            s = datacat.create_session("Tiny", "1.0")
            for i in range(200):
                s.log_event("noise", {"pad": "x" * 200}, level="debug")
            s.log_event("important", level="error")
            s.log_gauge("fps", 60.0)
            s.end()
            print(s.id)
    """)], env=tier.env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    sids = out.stdout.split()
    wait_until(lambda: tier.daemon_stats()["drops"].get("spool_debug_events"), 30,
               message="debug events shed under spool pressure")
    tier.start("broker")
    tier.start("ingest")
    for sid in sids:
        session = wait_until(lambda sid=sid: (s := tier.session(sid)) and s["status"] == "ended"
                             and s, 60, message=f"session {sid} ended")
        assert session["product"] == "Tiny"
        names = [e["name"] for e in tier.get(f"/api/sessions/{sid}").json()["events"]]
        assert names.count("important") == 1
    drops = tier.daemon_stats()["drops"]
    assert drops["spool_debug_events"] > 0 and set(drops) <= {
        "spool_debug_events", "spool_metric_points_rolled_up", "spool_info_events",
        "spool_warning_events", "spool_metric_aggregates"}


CONCURRENT_APP = """
import sys, threading, datacat
s = datacat.create_session("Many", "1.0")
def work(t):
    for i in range(500):
        s.log_event("e", {"t": t, "i": i})
threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
for t in threads: t.start()
for t in threads: t.join()
s.end(timeout=60)
print(s.id)
"""


def test_eight_processes_of_four_threads_each_arrive_exactly_once(tier):
    apps = [subprocess.Popen([sys.executable, "-c", textwrap.dedent(CONCURRENT_APP)],
                             env=tier.env, stdout=subprocess.PIPE, text=True) for _ in range(8)]
    sids = []
    for app in apps:
        out, _ = app.communicate(timeout=90)
        assert app.returncode == 0
        sids.append(out.strip())
    for sid in sids:
        wait_until(lambda sid=sid: (s := tier.session(sid)) and s["status"] == "ended"
                   and s["event_count"] >= 2_000, 60, message=f"session {sid}")
        found = [(e["data"]["t"], e["data"]["i"]) for e in all_events(tier.get, sid)]
        assert sorted(found) == [(t, i) for t in range(4) for i in range(500)]
        for t in range(4):  # each thread's records keep their order
            assert [i for tt, i in found if tt == t] == list(range(500))
