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
import sys
import textwrap

import httpx
import pytest

from datacat.control import ask
from datacat.curve import generate_keys
from datacat.runtime import RuntimePaths
from tests.helpers import all_events, wait_until
from tests.redis_servers import redis, redis_missing

from .netns import NetnsUnavailable, Network, netns_missing

pytestmark = pytest.mark.skipif(bool(netns_missing() or redis_missing()),
                                reason=str(netns_missing() or redis_missing()))

ME = [sys.executable, "-m", "datacat.cli"]
AFTER = 1000  # events the app sends once both kills are done

APP = """
import select, sys, time, datacat
after = int(sys.argv[1])
s = datacat.create_session("Hosts", "1.0")
print(s.id, flush=True)
i, stop = 0, None
while stop is None or i < stop:
    if stop is None and select.select([sys.stdin], [], [], 0)[0]:
        sys.stdin.readline()  # both kills are done: send ``after`` more events and end
        stop = i + after
    s.log_event("e", {"i": i})
    if i % 50 == 0:
        s.update_state({"patch": i // 50, "nested": {"last": i}})
    i += 1
    if i % 100 == 0:
        time.sleep(0.2)
s.end(timeout=120)
print(i, flush=True)
"""


@pytest.fixture
def network(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    try:
        net = Network(logs)
    except NetnsUnavailable as exc:
        pytest.skip(str(exc))
    try:
        yield net
    finally:
        net.close()


def _keys(tmp_path) -> dict:
    """Brokers share the frontend and the backend key pairs; daemon and workers are allow-listed."""
    keys, daemons, workers = tmp_path / "keys", tmp_path / "daemons", tmp_path / "workers"
    daemons.mkdir()
    workers.mkdir()
    out = {"daemons": daemons, "workers": workers}
    for name, allowed in (("broker", None), ("backend", None), ("app", daemons),
                          ("ingest-1", workers), ("ingest-2", workers)):
        public, secret = generate_keys(keys, name)
        out[name] = (public, secret)
        if allowed is not None:
            (allowed / public.name).write_bytes(public.read_bytes())
    return out


def _token(tmp_path, name: str, scopes: str) -> str:
    done = subprocess.run(ME + ["tokens", "create", name, "--scopes", scopes, "--tokens-file",
                                str(tmp_path / "tokens.json")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _up(process: subprocess.Popen, what: str, ready, logs) -> None:
    def check():
        assert process.poll() is None, (logs / f"{what}.log").read_text()[-3000:]
        return ready()

    wait_until(check, 90, interval=0.2, message=what)


def test_a_tier_over_eight_hosts_loses_nothing_when_a_worker_and_a_broker_die(network, tmp_path):
    net, logs = network, network.logs
    hosts = {name: net.add(name, octet) for name, octet in (
        ("app", 10), ("broker-1", 21), ("broker-2", 22), ("ingest-1", 31), ("ingest-2", 32),
        ("redis", 40), ("web-1", 51), ("web-2", 52))}
    keys = _keys(tmp_path)
    reader = _token(tmp_path, "reader", "read")
    redis_ip = hosts["redis"].address
    (tmp_path / "redis").mkdir()
    redis_server = hosts["redis"].spawn("redis", [
        "redis-server", "--bind", redis_ip, "--port", "6379", "--protected-mode", "no",
        "--save", "", "--appendonly", "no", "--dir", str(tmp_path / "redis")])
    store = f"redis://{redis_ip}:6379/0"
    broker_env = {"DATACAT_CONFIG": "", "DATACAT_BROKER_SECRET_KEY": str(keys["broker"][1]),
                  "DATACAT_BROKER_ALLOWED_KEYS": str(keys["daemons"]),
                  "DATACAT_BROKER_BACKEND_SECRET_KEY": str(keys["backend"][1]),
                  "DATACAT_BROKER_BACKEND_ALLOWED_KEYS": str(keys["workers"])}
    brokers, stats = {}, {}
    for name in ("broker-1", "broker-2"):
        ip = hosts[name].address
        stats[name] = f"ipc://{tmp_path / name}.stats"  # read by this test only, not a link
        brokers[name] = hosts[name].spawn(name, ME + [
            "broker", "--frontend", f"tcp://{ip}:5555", "--backend", f"tcp://{ip}:5556",
            "--stats", stats[name]], env=broker_env)
    backends = ",".join(f"tcp://{hosts[name].address}:5556" for name in brokers)
    workers = {name: hosts[name].spawn(name, ME + ["ingest", "--backend", backends,
                                                   "--store", store], env={
        "DATACAT_CONFIG": "", "DATACAT_DAEMON_TIMEOUT": "10",
        "DATACAT_INGEST_BROKER_PUBLIC_KEY": str(keys["backend"][0]),
        "DATACAT_INGEST_SECRET_KEY": str(keys[name][1])}) for name in ("ingest-1", "ingest-2")}
    webs = {name: f"http://{hosts[name].address}:8080" for name in ("web-1", "web-2")}
    web_processes = {name: hosts[name].spawn(name, ME + [
        "web", "--store", store, "--host", hosts[name].address, "--port", "8080",
        "--tokens-file", str(tmp_path / "tokens.json")], env={"DATACAT_CONFIG": ""})
        for name in webs}
    runtime = tmp_path / "run"
    app_env = {"DATACAT_CONFIG": "", "DATACAT_RUNTIME_DIR": str(runtime),
               "DATACAT_FLUSH_INTERVAL": "0.1", "DATACAT_SPOOL_SYNC": "0",
               "DATACAT_BROKER": ",".join(f"tcp://{hosts[name].address}:5555" for name in brokers),
               "DATACAT_BROKER_PUBLIC_KEY": str(keys["broker"][0]),
               "DATACAT_DAEMON_SECRET_KEY": str(keys["app"][1])}
    daemon = hosts["app"].spawn("daemon", ME + ["daemon"], env=app_env)

    auth = {"Authorization": f"Bearer {reader}"}

    def get(web: str, path: str, **params) -> httpx.Response:
        return httpx.get(webs[web] + path, params=params, headers=auth, timeout=10)

    _up(redis_server, "redis", lambda: redis.Redis(host=redis_ip, socket_timeout=2).ping(), logs)
    for name, process in brokers.items():
        _up(process, name, lambda name=name: ask(stats[name], {}, 1.0), logs)
    for name, process in web_processes.items():
        _up(process, name, lambda name=name: get(name, "/health").status_code == 200, logs)
    _up(daemon, "daemon", lambda: ask(RuntimePaths(runtime).control_endpoint, {"op": "status"},
                                      1.0), logs)

    def reports() -> dict:
        """Worker pid -> its last report (workers report every few seconds)."""
        return {w["pid"]: w for w in get("web-1", "/api/v1/stats").json()["workers"]}

    for name, process in workers.items():
        _up(process, name, lambda pid=process.pid: pid in reports(), logs)

    app = hosts["app"].spawn("app", [sys.executable, "-c", textwrap.dedent(APP), str(AFTER)],
                             env=app_env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    sid = app.stdout.readline().strip()
    assert sid, (logs / "app.log").read_text()

    def stored(web: str = "web-1") -> int:
        response = get(web, f"/api/v1/sessions/{sid}")
        return response.json()["event_count"] if response.status_code == 200 else 0

    def resends() -> int:
        return ask(RuntimePaths(runtime).control_endpoint, {"op": "stats"}, 2.0)["resends"]

    def dies_with_a_batch_in_hand(process: subprocess.Popen, what: str) -> None:
        """Freeze ``process`` until a batch sent through it goes unanswered, then SIGKILL it."""
        before = resends()
        process.send_signal(signal.SIGSTOP)
        wait_until(lambda: resends() > before, 90, interval=0.1,
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
    assert app.wait(180) == 0, (logs / "app.log").read_text()[-3000:]
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
