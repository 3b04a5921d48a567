"""deploy/docker-compose.yml, checked without a Docker engine: it parses, names the tier's parts,
and its services' commands and environment, run as local processes (service names and ports
mapped to free ports of 127.0.0.1, the ``keys`` volume to a directory), make a working tier
whose links use CURVE. Where Docker is installed, ``docker compose config`` checks it too."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest
import yaml

from datacat.cli import build_parser
from datacat.curve import generate_keys
from tests.helpers import free_port, kill_daemon, wait_until
from tests.redis_servers import redis, redis_missing

COMPOSE = Path(__file__).parents[2] / "deploy" / "docker-compose.yml"
TIER = {"redis", "setup", "broker", "ingest-1", "ingest-2", "web"}
APP = """
import datacat
s = datacat.create_session("Compose", "1.0")
s.log_event("hello")
s.end()
print(s.id)
"""


def services() -> dict:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def test_the_compose_file_names_the_tier_and_runs_real_commands():
    found = services()
    assert set(found) == TIER
    for name in TIER - {"redis", "setup"}:
        command = found[name]["command"]
        assert command[0] == "datacat"
        build_parser().parse_args(command[1:])  # exits (fails the test) on an unknown command
        assert found[name]["depends_on"]["setup"]["condition"] == "service_completed_successfully"
    assert "noeviction" in found["redis"]["command"]


def _compose_missing() -> str | None:
    if shutil.which("docker") is None:
        return "no docker command here"
    version = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30)
    return None if version.returncode == 0 else "docker has no compose plugin here"


COMPOSE_MISSING = _compose_missing()


@pytest.mark.skipif(bool(COMPOSE_MISSING), reason=str(COMPOSE_MISSING))
def test_docker_compose_accepts_the_file():
    done = subprocess.run(["docker", "compose", "-f", str(COMPOSE), "config", "--quiet"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


class Local:
    """The compose file's values for processes on this machine."""

    def __init__(self, tmp: Path):
        self.keys = tmp / "keys"
        self.ports = {port: free_port() for port in (5555, 5556, 5557, 6379, 8080)}

    def value(self, value: str) -> str:
        value = str(value).replace("/keys", str(self.keys))
        value = re.sub(r"\b(0\.0\.0\.0|broker|redis)(?=:\d)", "127.0.0.1", value)
        value = re.sub(r"(?<=127\.0\.0\.1:)(\d+)", lambda m: str(self.ports[int(m[1])]), value)
        if value == "0.0.0.0":
            return "127.0.0.1"
        return str(self.ports.get(int(value), value)) if value.isdigit() else value

    def env(self, service: dict) -> dict:
        bin_dir = str(Path(sys.executable).parent)
        return {**os.environ, "DATACAT_CONFIG": "", "PATH": f"{bin_dir}:{os.environ['PATH']}",
                **{name: self.value(v) for name, v in service.get("environment", {}).items()}}


@pytest.mark.skipif(bool(redis_missing()), reason=str(redis_missing()))
@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_compose_topology_runs_as_processes(tmp_path):
    found, local = services(), Local(tmp_path)
    local.keys.mkdir()
    setup = found["setup"]["command"]
    done = subprocess.run([*setup[:-1], local.value(setup[-1])], env=local.env(found["setup"]),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    admin = next(line for line in done.stdout.splitlines() if line.startswith("dct_"))
    app_public, app_secret = generate_keys(tmp_path / "app-keys", "app")
    (local.keys / "daemons" / app_public.name).write_bytes(app_public.read_bytes())

    (tmp_path / "redis").mkdir()
    processes = [subprocess.Popen(
        [*found["redis"]["command"], "--port", str(local.ports[6379]), "--bind", "127.0.0.1",
         "--save", "", "--dir", str(tmp_path / "redis")], stdout=subprocess.DEVNULL)]
    logs = {}
    try:
        client = redis.Redis(port=local.ports[6379], socket_timeout=2)
        wait_until(lambda: client.ping(), 30, message="redis-server")
        client.close()
        for name in ("broker", "ingest-1", "ingest-2", "web"):
            logs[name] = open(tmp_path / f"{name}.log", "wb")
            processes.append(subprocess.Popen(found[name]["command"], env=local.env(found[name]),
                                              stdout=logs[name], stderr=subprocess.STDOUT))
        web = f"http://127.0.0.1:{local.ports[8080]}"
        auth = {"Authorization": f"Bearer {admin}"}
        wait_until(lambda: httpx.get(web + "/health", timeout=2).status_code == 200, 60,
                   message=f"the web app; its log: {tmp_path / 'web.log'}")

        env = {**os.environ, "DATACAT_CONFIG": "", "DATACAT_RUNTIME_DIR": str(tmp_path / "run"),
               "DATACAT_FLUSH_INTERVAL": "0.2", "DATACAT_SPOOL_SYNC": "0",
               "DATACAT_BROKER": f"tcp://127.0.0.1:{local.ports[5555]}",
               "DATACAT_BROKER_PUBLIC_KEY": str(local.keys / "broker.key"),
               "DATACAT_DAEMON_SECRET_KEY": str(app_secret)}
        app = subprocess.run([sys.executable, "-c", textwrap.dedent(APP)], env=env,
                             capture_output=True, text=True, timeout=60)
        assert app.returncode == 0, app.stderr
        sid = app.stdout.strip()

        def session():
            return httpx.get(f"{web}/api/v1/sessions/{sid}", headers=auth, timeout=10).json()

        wait_until(lambda: session()["status"] == "ended", 60, message="the app's session")
        assert session()["event_count"] == 1
        stats = wait_until(lambda: (s := httpx.get(f"{web}/api/v1/stats", headers=auth,
                                                   timeout=10).json())["broker"]
                           and len(s["workers"]) == 2 and s, 60, message="both workers' reports")
        assert stats["broker"]["auth_refused"] == stats["broker"]["backend_auth_refused"] == 0
        started = (tmp_path / "broker.log").read_text()
        assert re.search(r"daemons -> \S+ \(CURVE\), workers -> \S+ \(CURVE\)", started), started
    finally:
        kill_daemon(tmp_path / "run")
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            process.wait(30)
        for log in logs.values():
            log.close()
