"""Fixtures that run the real stack: ``datacat up`` and a daemon, on free ports and tmp dirs."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.helpers import DataCatProcess, free_port, kill_daemon, wait_until


@dataclass
class Stack:
    """A running ``datacat up`` and the environment an app needs to reach it."""

    process: DataCatProcess
    url: str
    broker: str
    data_dir: Path
    runtime_dir: Path
    env: dict

    def get(self, path: str, **params) -> httpx.Response:
        return httpx.get(self.url + path, params=params, timeout=10)

    def session(self, sid: str) -> dict | None:
        """``GET /api/sessions/{id}``, or ``None`` while the session is unknown."""
        response = self.get(f"/api/sessions/{sid}")
        return response.json() if response.status_code == 200 else None

    def wait_session(self, sid: str, predicate, timeout: float = 20.0, what: str = "") -> dict:
        """Poll the session until ``predicate(session)`` holds; returns the session."""
        return wait_until(lambda: (s := self.session(sid)) is not None and predicate(s) and s,
                          timeout, message=what or f"session {sid}")

    def event_names(self, sid: str) -> list[str]:
        return [e["name"] for e in self.session(sid)["events"]]

    def start_app(self, source: str) -> App:
        """Start ``source`` as a long-running app; it must print its session id first."""
        process = subprocess.Popen([sys.executable, "-c", textwrap.dedent(source)], env=self.env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        return App(process, process.stdout.readline().strip())

    def daemon_stats(self) -> dict | None:
        from datacat.control import ask
        from datacat.runtime import RuntimePaths

        return ask(RuntimePaths(self.runtime_dir).control_endpoint, {"op": "stats"}, timeout=1.0)

    def run_app(self, source: str, timeout: float = 60.0) -> subprocess.CompletedProcess:
        """Run ``source`` as an app process with the SDK pointed at this stack."""
        result = subprocess.run([sys.executable, "-c", textwrap.dedent(source)], env=self.env,
                                capture_output=True, text=True, timeout=timeout)
        assert result.returncode == 0, result.stderr
        return result


@dataclass
class App:
    """An app process started by a test, and the session id it printed."""

    process: subprocess.Popen
    sid: str

    def finish(self, timeout: float = 30.0) -> int:
        code = self.process.wait(timeout)
        self.process.stdout.close()
        self.process.stderr.close()
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.finish()


def start_up(tmp: Path, data_dir: Path, ports: tuple[int, int, int],
             extra: tuple[str, ...] = ()) -> DataCatProcess:
    web_port, broker_port, backend_port = ports
    process = DataCatProcess(
        ["up", "--data-dir", str(data_dir), "--port", str(web_port),
         "--broker-port", str(broker_port), "--backend-port", str(backend_port),
         "--stats-port", str(free_port()), "--workers", "2", *extra], tmp / "up.log")
    url = f"http://127.0.0.1:{web_port}"
    wait_until(lambda: process.process.poll() is None
               and httpx.get(url + "/health", timeout=2).status_code == 200
               and "DataCat is up" in process.log(),  # its start-up is over: restarts from here
               60, message=f"datacat up to answer /health and say it is up ({process.log_path})")
    return process


def run_stack(tmp_path: Path, extra: tuple[str, ...] = (), env: dict | None = None):
    """Start ``datacat up`` for a test; yields the ``Stack`` and tears everything down."""
    ports = (free_port(), free_port(), free_port())
    runtime_dir = tmp_path / "run"
    broker = f"tcp://127.0.0.1:{ports[1]}"
    app_env = {**os.environ, "DATACAT_RUNTIME_DIR": str(runtime_dir), "DATACAT_BROKER": broker,
               "DATACAT_FLUSH_INTERVAL": "0.2", **(env or {})}
    process = start_up(tmp_path, tmp_path / "data", ports, extra)
    yield Stack(process, f"http://127.0.0.1:{ports[0]}", broker, tmp_path / "data",
                runtime_dir, app_env)
    kill_daemon(runtime_dir)
    if process.process.poll() is None:
        process.stop()


@pytest.fixture
def stack(tmp_path):
    yield from run_stack(tmp_path)
