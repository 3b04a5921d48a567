"""An ingest host that vanishes without closing its connection (its link cut mid-stream): the
broker drops it (``BACKEND_TCP``) and stops routing batches to it, so the daemon's resends stop
and every event is stored once, in order. Without that, the broker would hand every other
batch to the dead host for as long as TCP kept the connection, each costing a resend."""

from __future__ import annotations

from datacat.broker.store import open_store
from tests.helpers import wait_until

from . import parts

pytestmark = parts.NEEDS_HOSTS


def test_a_vanished_worker_host_is_dropped_and_nothing_is_lost(network, tmp_path):
    hosts = {name: network.add(name, octet) for name, octet in (
        ("app", 10), ("broker", 21), ("ingest-1", 31), ("ingest-2", 32), ("redis", 40))}
    keys = parts.make_keys(tmp_path, ["ingest-1", "ingest-2"])
    url = parts.start_redis(hosts["redis"], tmp_path)
    parts.start_broker(hosts["broker"], "broker", keys, f"ipc://{tmp_path}/broker.stats")
    workers = {name: parts.start_worker(hosts[name], name, keys, [hosts["broker"]], url)
               for name in ("ingest-1", "ingest-2")}
    runtime = tmp_path / "run"
    parts.start_daemon(hosts["app"], keys, runtime, [hosts["broker"]])
    store = open_store(url)
    try:
        def reporting() -> set:
            return {worker["pid"] for worker in store.workers()}

        for name, process in workers.items():
            parts.wait_up(hosts[name], process, name, lambda pid=process.pid: pid in reporting())
        app, sid = parts.start_app(hosts["app"], keys, runtime, [hosts["broker"]], after=500)

        def stored() -> int:
            return (store.get_session(sid) or {}).get("event_count", 0)

        wait_until(lambda: stored() >= 300, 90, interval=0.1, message="the stream to flow")
        hosts["ingest-1"].cut_link()
        seen = {"resends": parts.daemon_stats(runtime)["resends"], "acked_then": None}

        def acks_without_resends() -> bool:
            """A batch was stuck in the vanished host, and twenty were acked since the last one."""
            stats = parts.daemon_stats(runtime)
            if stats["resends"] != seen["resends"]:
                seen.update(resends=stats["resends"], acked_then=stats["acked"])
            return seen["acked_then"] is not None and stats["acked"] - seen["acked_then"] >= 20

        wait_until(acks_without_resends, 120, interval=0.1,
                   message="the broker to drop the vanished worker")
        app.stdin.write("go\n")
        app.stdin.flush()
        assert app.wait(180) == 0, (network.logs / "app.log").read_text()[-3000:]
        total = int(app.stdout.read().split()[-1])
        wait_until(lambda: (s := store.get_session(sid)) and s["status"] == "ended", 120,
                   message="the session to end")
        assert stored() == total
        events = store.read("events", sid, 0, total + 1)
        assert [event["data"]["i"] for event in events] == list(range(total))
    finally:
        store.close()
