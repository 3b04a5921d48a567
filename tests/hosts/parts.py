"""The tier's parts started on the hosts of a ``Network``, every link over CurveZMQ: keys,
Redis, brokers, ingest workers, a daemon and a streaming app."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from datacat.control import ask
from datacat.curve import generate_keys
from datacat.runtime import RuntimePaths
from tests.helpers import wait_until
from tests.redis_servers import redis, redis_missing

from .netns import Host, netns_missing

__all__ = ["ME", "NEEDS_HOSTS", "make_keys", "start_redis", "start_broker", "start_worker",
           "start_daemon", "start_app", "wait_up", "daemon_stats"]

ME = [sys.executable, "-m", "datacat.cli"]

#: The marks of a test of hosts: it skips, saying why, without namespaces or redis-server;
#: it starts many processes, so on a loaded machine it may need more than the default timeout.
NEEDS_HOSTS = [pytest.mark.skipif(bool(netns_missing() or redis_missing()),
                                  reason=str(netns_missing() or redis_missing())),
               pytest.mark.slow, pytest.mark.timeout(400)]

#: Streams events (a state patch every 50) until a line arrives on stdin, then ``after`` more;
#: prints the session id first and the number of events last.
APP = """
import select, sys, time, datacat
after = int(sys.argv[1])
s = datacat.create_session("Hosts", "1.0")
print(s.id, flush=True)
i, stop = 0, None
while stop is None or i < stop:
    if stop is None and select.select([sys.stdin], [], [], 0)[0]:
        sys.stdin.readline()
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


def make_keys(tmp: Path, workers: list[str]) -> dict:
    """Brokers share the frontend and the backend key pairs; the daemon ("app") and each worker
    have their own, allow-listed in ``daemons/`` and ``workers/``. Name -> (public, secret)."""
    out = {"daemons": tmp / "daemons", "workers": tmp / "workers"}
    for directory in (out["daemons"], out["workers"]):
        directory.mkdir()
    allowed = {"broker": None, "backend": None, "app": out["daemons"],
               **{name: out["workers"] for name in workers}}
    for name, directory in allowed.items():
        public, secret = generate_keys(tmp / "keys", name)
        out[name] = (public, secret)
        if directory is not None:
            (directory / public.name).write_bytes(public.read_bytes())
    return out


def wait_up(host: Host, process: subprocess.Popen, what: str, ready) -> None:
    """Wait for ``ready()``; fail with ``what``'s log as soon as it exits."""
    def check():
        assert process.poll() is None, (host.logs / f"{what}.log").read_text()[-3000:]
        return ready()

    wait_until(check, 90, interval=0.2, message=what)


def start_redis(host: Host, tmp: Path) -> str:
    """redis-server on the host's address (protected mode off: it is on the private switch)."""
    (tmp / "redis").mkdir()
    process = host.spawn("redis", [
        "redis-server", "--bind", host.address, "--port", "6379", "--protected-mode", "no",
        "--save", "", "--appendonly", "no", "--dir", str(tmp / "redis")])
    wait_up(host, process, "redis", lambda: redis.Redis(host=host.address, socket_timeout=2).ping())
    return f"redis://{host.address}:6379/0"


def start_broker(host: Host, name: str, keys: dict, stats: str) -> subprocess.Popen:
    """A broker on the host's address, CURVE on both sides; its counters on ``stats``."""
    process = host.spawn(name, ME + [
        "broker", "--frontend", f"tcp://{host.address}:5555",
        "--backend", f"tcp://{host.address}:5556", "--stats", stats], env={
        "DATACAT_CONFIG": "", "DATACAT_BROKER_SECRET_KEY": str(keys["broker"][1]),
        "DATACAT_BROKER_ALLOWED_KEYS": str(keys["daemons"]),
        "DATACAT_BROKER_BACKEND_SECRET_KEY": str(keys["backend"][1]),
        "DATACAT_BROKER_BACKEND_ALLOWED_KEYS": str(keys["workers"])})
    wait_up(host, process, name, lambda: ask(stats, {}, 1.0))
    return process


def start_worker(host: Host, name: str, keys: dict, brokers: list[Host], store: str,
                 daemon_timeout: float = 10) -> subprocess.Popen:
    """An ingest worker serving every broker; it reports every ``daemon_timeout / 4`` s."""
    backends = ",".join(f"tcp://{broker.address}:5556" for broker in brokers)
    return host.spawn(name, ME + ["ingest", "--backend", backends, "--store", store], env={
        "DATACAT_CONFIG": "", "DATACAT_DAEMON_TIMEOUT": str(daemon_timeout),
        "DATACAT_INGEST_BROKER_PUBLIC_KEY": str(keys["backend"][0]),
        "DATACAT_INGEST_SECRET_KEY": str(keys[name][1])})


def _app_env(keys: dict, runtime: Path, brokers: list[Host]) -> dict:
    return {"DATACAT_CONFIG": "", "DATACAT_RUNTIME_DIR": str(runtime),
            "DATACAT_FLUSH_INTERVAL": "0.1", "DATACAT_SPOOL_SYNC": "0",
            "DATACAT_BROKER": ",".join(f"tcp://{broker.address}:5555" for broker in brokers),
            "DATACAT_BROKER_PUBLIC_KEY": str(keys["broker"][0]),
            "DATACAT_DAEMON_SECRET_KEY": str(keys["app"][1])}


def daemon_stats(runtime: Path) -> dict | None:
    return ask(RuntimePaths(runtime).control_endpoint, {"op": "stats"}, 2.0)


def start_daemon(host: Host, keys: dict, runtime: Path, brokers: list[Host]) -> subprocess.Popen:
    """The app host's daemon, given every broker."""
    process = host.spawn("daemon", ME + ["daemon"], env=_app_env(keys, runtime, brokers))
    wait_up(host, process, "daemon", lambda: daemon_stats(runtime))
    return process


def start_app(host: Host, keys: dict, runtime: Path, brokers: list[Host],
              after: int) -> tuple[subprocess.Popen, str]:
    """The streaming app (``APP``) and its session id."""
    app = host.spawn("app", [sys.executable, "-c", textwrap.dedent(APP), str(after)],
                     env=_app_env(keys, runtime, brokers), stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, text=True)
    sid = app.stdout.readline().strip()
    assert sid, (host.logs / "app.log").read_text()
    return app, sid
