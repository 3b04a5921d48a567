"""The whole pipeline with real processes: SDK app -> daemon -> broker -> workers -> store -> REST."""

from __future__ import annotations

import os
import signal

from tests.helpers import all_events, free_port, kill_daemon, wait_until

from .conftest import run_stack, start_up

APP = """
import datacat
s = datacat.create_session("Pipeline", "1.2.3", tags={"env": "test"})
s.update_state({"level": 1, "player": {"hp": 100, "name": "ada", "inventory": ["sword"]}})
s.update_state({"player": {"hp": 80}})
s.update_state({"player": {"name": None}, "scene": "forest"})
for i in range(1000):
    s.log_event("tick", {"i": i}, level="debug" if i % 2 else "info")
for v in (10.0, 30.0, 20.0):
    s.log_gauge("fps", v, unit="fps")
for _ in range(5):
    s.log_counter("kills", 2)
for v in (0.5, 3.0, 7.0, 20000.0):
    s.log_histogram("frame_ms", v, unit="ms")
with s.timer("load"):
    pass
s.end()
print(s.id)
"""


def _session(stack, sid: str) -> dict | None:
    response = stack.get(f"/api/sessions/{sid}")
    return response.json() if response.status_code == 200 else None


def _points(metrics: list, name: str) -> list:
    return [point for point in metrics if point["name"] == name]


def test_app_session_arrives_whole_through_rest(stack):
    sid = stack.run_app(APP).stdout.strip()

    session = wait_until(lambda: (s := _session(stack, sid)) and s["status"] == "ended"
                         and s["event_count"] == 1000 and s, message="the ended session")
    assert session["product"] == "Pipeline" and session["version"] == "1.2.3"
    assert session["ended"] is True and session["active"] is False and session["crashed"] is False
    assert session["state"] == {"level": 1, "scene": "forest",
                                "player": {"hp": 80, "inventory": ["sword"]}}

    events = all_events(stack.get, sid)
    assert [e["data"]["i"] for e in events] == list(range(1000))
    assert [e["seq"] for e in events] == list(range(1000))
    assert events[1]["level"] == "debug" and events[0]["level"] == "info"

    metrics = stack.get(f"/api/v1/sessions/{sid}/metrics").json()["items"]
    fps = _points(metrics, "fps")
    assert sum(p["count"] for p in fps) == 3
    assert min(p["min"] for p in fps) == 10.0 and max(p["max"] for p in fps) == 30.0
    kills = _points(metrics, "kills")
    assert sum(p["sum"] for p in kills) == 10 and all(p["type"] == "counter" for p in kills)
    frame = _points(metrics, "frame_ms")
    assert sum(p["count"] for p in frame) == 4
    buckets = {}
    for point in frame:
        for le, count in point["buckets"]:
            buckets[str(le)] = buckets.get(str(le), 0) + count
    assert buckets["1"] == 1 and buckets["5"] == 2 and buckets["10"] == 3 and buckets["+Inf"] == 4
    assert sum(p["count"] for p in _points(metrics, "load")) == 1
    assert _points(metrics, "load")[0]["type"] == "timer"

    listed = stack.get("/api/v1/sessions", product="Pipeline", status="ended").json()["items"]
    assert [s["id"] for s in listed] == [sid]


def test_sdk_starts_a_daemon_when_none_runs(stack):
    assert not (stack.runtime_dir / "daemon.pid").exists()
    sid = stack.run_app("""
        import datacat
        s = datacat.create_session("AutoStart", "1")
        s.update_state({"ok": True})
        print(s.id)
    """).stdout.strip()  # no end(): interpreter exit ends the session
    session = wait_until(lambda: (s := _session(stack, sid)) and s["status"] == "ended" and s,
                         message="the auto-started daemon to deliver the session")
    assert session["state"] == {"ok": True}
    assert (stack.runtime_dir / "daemon.pid").exists()


def test_app_never_waits_for_an_absent_tier(stack, tmp_path):
    """With no broker reachable, SDK calls still return and the app exits promptly."""
    env = dict(stack.env, DATACAT_BROKER="tcp://127.0.0.1:9", DATACAT_RUNTIME_DIR=str(tmp_path / "r"))
    stack.env, saved = env, stack.env
    try:
        out = stack.run_app("""
            import datacat
            s = datacat.create_session("Offline", "1")
            for i in range(10000):
                s.log_event("e", {"i": i})
            s.end()
            print("done")
        """, timeout=30).stdout
    finally:
        stack.env = saved
        kill_daemon(tmp_path / "r")
    assert out.strip() == "done"  # every call returned and exit was not held up past the timeout


def test_data_survive_a_restart_of_up(stack, tmp_path):
    sid = stack.run_app(APP).stdout.strip()
    wait_until(lambda: (s := _session(stack, sid)) and s["event_count"] == 1000,
               message="the first run's data")
    kill_daemon(stack.runtime_dir)
    assert stack.process.stop() == 0

    web_port = int(stack.url.rsplit(":", 1)[1])
    (tmp_path / "again").mkdir()
    restarted = start_up(tmp_path / "again", stack.data_dir, (web_port, free_port(), free_port()))
    try:
        session = _session(stack, sid)
        assert session["status"] == "ended" and session["event_count"] == 1000
        assert session["state"]["player"] == {"hp": 80, "inventory": ["sword"]}
    finally:
        assert restarted.stop() == 0


def test_up_stops_every_child_on_sigterm(stack):
    import psutil

    children = psutil.Process(stack.process.process.pid).children(recursive=True)
    assert len(children) >= 4  # broker, two workers, web
    stack.process.process.send_signal(signal.SIGTERM)
    assert stack.process.process.wait(30) == 0
    gone, alive = psutil.wait_procs(children, timeout=10)
    assert not alive, [p.cmdline() for p in alive]
    assert os.path.isdir(stack.data_dir)


def test_status_reports_daemon_broker_and_workers(stack):
    import json
    import subprocess
    import sys

    stack.run_app(APP)
    log = stack.process.log()
    stats_endpoint = log.split("--broker-stats ")[1].split()[0]
    store = f"diskcache://{stack.data_dir / 'store'}"

    def report():
        out = subprocess.run([sys.executable, "-m", "datacat.cli", "status", "--json",
                              "--broker-stats", stats_endpoint, "--store", store], env=stack.env,
                             capture_output=True, text=True, timeout=30)
        data = json.loads(out.stdout)
        events = sum(w["counters"].get("events", 0) for w in data.get("workers", []))
        return data if events >= 1000 and data["daemons"] else None

    data = wait_until(report, message="the workers to report the app's events")
    assert data["daemon"]["records_in"] >= 1000 and data["daemon"]["acked"] >= 1
    assert data["broker"]["frontend_messages_in"] >= 1
    assert data["daemons"][0]["id"] == data["daemon"]["daemon_id"]


def test_up_restarts_a_worker_that_died(stack):
    import psutil

    def workers() -> set[int]:
        found = set()
        for child in psutil.Process(stack.process.process.pid).children():
            try:
                if "ingest" in child.cmdline():
                    found.add(child.pid)
            except psutil.Error:  # a child just exiting
                continue
        return found

    before = workers()
    assert len(before) == 2
    victim = next(iter(before))
    os.kill(victim, signal.SIGKILL)
    wait_until(lambda: len(workers()) == 2 and victim not in workers(),
               message="datacat up to start a new worker")
    sid = stack.run_app(APP).stdout.strip()
    wait_until(lambda: (s := _session(stack, sid)) and s["status"] == "ended",
               message="ingest to go on with the new worker")


def test_rest_stats_show_every_part(stack):
    stack.run_app(APP)

    def stats():
        body = stack.get("/api/v1/stats").json()
        events = sum(w["counters"].get("events", 0) for w in body["workers"])
        return body if events >= 1000 and body["daemons"] else None

    body = wait_until(stats, message="the workers' counters through REST")
    (daemon,) = body["daemons"]
    assert daemon["stats"]["records_in"] >= 1000 and daemon["watching"] >= 0
    assert body["broker"]["frontend_messages_in"] >= 1
    assert body["workers"][0]["last_seen"].endswith("Z")


def test_demo_feeds_every_kind_of_ending(stack):
    import subprocess
    import sys

    subprocess.run([sys.executable, "-m", "datacat.cli", "demo", "--sessions", "6",
                    "--seconds", "4"], env=stack.env, check=True, timeout=120)

    def endings():
        items = stack.get("/api/v1/sessions", limit=50).json()["items"]
        done = [s for s in items if s["status"] in ("ended", "crashed")]
        return items if len(done) == 6 else None

    items = wait_until(endings, 30, message="six demo sessions to finish")
    reasons = sorted(s["reason"] for s in items)
    assert reasons.count("unhandled_exception") == 1 and reasons.count("process_vanished") == 1
    assert sum(1 for s in items if s["hangs"]) >= 1


BURST_APP = """
import os, time, datacat
s = datacat.create_session("Burst", "1.0")
print(s.id, flush=True)
for i in range(30_000):
    s.log_event("tick", {{"i": i}})
while not os.path.exists({go!r}):
    time.sleep(0.05)
s.end()
"""


def test_a_burst_and_an_end_go_out_without_waiting_for_the_flush_interval(tmp_path):
    """A full window goes out while the app still runs, and a session's end at once, even
    with batches due only every two minutes."""
    for stack in run_stack(tmp_path, env={"DATACAT_FLUSH_INTERVAL": "120"}):
        go = tmp_path / "go"
        app = stack.start_app(BURST_APP.format(go=str(go)))
        try:
            stack.wait_session(app.sid, lambda s: s["event_count"] >= 20_000, 60,
                               "the burst's first full window in the store")
            assert app.process.poll() is None  # the app has not ended: the window went out full
            go.touch()
            assert app.finish(60) == 0
            session = stack.wait_session(app.sid, lambda s: s["status"] == "ended", 30,
                                         "the session's end in the store")
            assert session["event_count"] == 30_000
        finally:
            app.kill()
