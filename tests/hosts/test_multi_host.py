"""The tier over eight hosts, each a network namespace on a private switch (``netns.py``):

    app (daemon + app) -> broker-1, broker-2 -> ingest-1, ingest-2 -> redis <- web-1, web-2

The daemon is given both brokers and spreads its batches over them; each worker serves both
brokers. Every link between hosts uses CurveZMQ (daemon -> broker, broker <-> worker) or is
Redis or HTTP on the private switch. While an app streams, one worker and then a broker that
carries its batches die: each is frozen (SIGSTOP) until a batch sent through it goes
unanswered, then SIGKILLed, so it dies with a batch in hand and the daemon must resend it
through the other path. Every event arrives once, in order, through both web replicas, which
accept the same API tokens (one token file) and the same login cookie.
"""

from __future__ import annotations

import functools
import signal
import subprocess

import httpx

from datacat.control import ask
from tests.helpers import all_events, wait_until

from . import parts

pytestmark = parts.NEEDS_HOSTS

AFTER = 1000  # events the app sends once both kills are done


def _token(tmp_path, name: str, scopes: str) -> str:
    done = subprocess.run(parts.ME + ["tokens", "create", name, "--scopes", scopes,
                                      "--tokens-file", str(tmp_path / "tokens.json")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_tier_over_eight_hosts_loses_nothing_when_a_worker_and_a_broker_die(network, tmp_path):
    hosts = {name: network.add(name, octet) for name, octet in (
        ("app", 10), ("broker-1", 21), ("broker-2", 22), ("ingest-1", 31), ("ingest-2", 32),
        ("redis", 40), ("web-1", 51), ("web-2", 52))}
    keys = parts.make_keys(tmp_path, ["ingest-1", "ingest-2"])
    reader = _token(tmp_path, "reader", "read")
    webs = {name: f"http://{hosts[name].address}:8080" for name in ("web-1", "web-2")}
    store = parts.start_redis(hosts["redis"], tmp_path)
    web_processes = {name: hosts[name].spawn(name, parts.ME + [
        "web", "--store", store, "--host", hosts[name].address, "--port", "8080",
        "--tokens-file", str(tmp_path / "tokens.json")], env={"DATACAT_CONFIG": ""})
        for name in webs}
    stats = {name: f"ipc://{tmp_path / name}.stats" for name in ("broker-1", "broker-2")}
    brokers = {name: parts.start_broker(hosts[name], name, keys, stats[name]) for name in stats}
    broker_hosts = [hosts[name] for name in brokers]
    workers = {name: parts.start_worker(hosts[name], name, keys, broker_hosts, store)
               for name in ("ingest-1", "ingest-2")}
    runtime = tmp_path / "run"
    parts.start_daemon(hosts["app"], keys, runtime, broker_hosts)

    auth = {"Authorization": f"Bearer {reader}"}

    def get(web: str, path: str, **params) -> httpx.Response:
        return httpx.get(webs[web] + path, params=params, headers=auth, timeout=10)

    for name, process in web_processes.items():
        parts.wait_up(hosts[name], process, name, lambda name=name: get(name, "/health").is_success)

    def reports() -> dict:
        """Worker pid -> its last report (workers report every few seconds)."""
        return {w["pid"]: w for w in get("web-1", "/api/v1/stats").json()["workers"]}

    for name, process in workers.items():
        parts.wait_up(hosts[name], process, name, lambda pid=process.pid: pid in reports())

    app, sid = parts.start_app(hosts["app"], keys, runtime, broker_hosts, AFTER)

    def stored(web: str = "web-1") -> int:
        response = get(web, f"/api/v1/sessions/{sid}")
        return response.json()["event_count"] if response.status_code == 200 else 0

    def dies_with_a_batch_in_hand(process: subprocess.Popen, what: str) -> None:
        """Freeze ``process`` until a batch sent through it goes unanswered, then SIGKILL it."""
        before = parts.daemon_stats(runtime)["resends"]
        process.send_signal(signal.SIGSTOP)
        wait_until(lambda: parts.daemon_stats(runtime)["resends"] > before, 90, interval=0.1,
                   message=f"a batch to be stuck in the frozen {what}")
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        at_kill = stored()
        wait_until(lambda: stored() >= at_kill + 300, 90, interval=0.1,
                   message=f"the tier to carry on without {what}")

    wait_until(lambda: stored() >= 300, 90, interval=0.1, message="the stream to flow")
    dies_with_a_batch_in_hand(workers["ingest-1"], "ingest-1")
    counts = {name: ask(stats[name], {}, 2.0)["frontend_messages_in"] for name in brokers}
    assert all(counts.values()), f"the daemon did not send through both brokers: {counts}"
    dead = max(counts, key=counts.get)
    dies_with_a_batch_in_hand(brokers[dead], dead)
    app.stdin.write("go\n")
    app.stdin.flush()
    assert app.wait(180) == 0, (network.logs / "app.log").read_text()[-3000:]
    total = int(app.stdout.read().split()[-1])

    for web in webs:
        wait_until(lambda web=web: (s := get(web, f"/api/v1/sessions/{sid}").json())
                   and s["status"] == "ended" and s["event_count"] >= total,
                   120, interval=0.2, message=f"the whole session through {web}")
        assert get(web, f"/api/v1/sessions/{sid}").json()["event_count"] == total
        events = all_events(functools.partial(get, web), sid)
        assert [event["data"]["i"] for event in events] == list(range(total))
        last = (total - 1) // 50 * 50
        state = get(web, f"/api/v1/sessions/{sid}/state").json()
        assert state["state"] == {"patch": last // 50, "nested": {"last": last}}

    # One login on one replica is good on the other; no token, no data on either.
    login = httpx.post(webs["web-1"] + "/login", json={"token": reader}, timeout=10)
    assert login.status_code == 200, login.text
    cookie = {"Cookie": f"datacat_token={login.cookies['datacat_token']}"}
    assert httpx.get(webs["web-2"] + f"/api/v1/sessions/{sid}", headers=cookie,
                     timeout=10).status_code == 200
    for url in webs.values():
        assert httpx.get(url + f"/api/v1/sessions/{sid}", timeout=10).status_code == 401
    alive = ask(stats[next(name for name in brokers if name != dead)], {}, 2.0)
    assert alive["auth_refused"] == alive["backend_auth_refused"] == 0
