"""Fixtures that run the real stack: ``datacat up`` and a daemon, on free ports and tmp dirs."""

from __future__ import annotations

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

    def run_app(self, source: str, timeout: float = 60.0) -> subprocess.CompletedProcess:
        """Run ``source`` as an app process with the SDK pointed at this stack."""
        result = subprocess.run([sys.executable, "-c", textwrap.dedent(source)], env=self.env,
                                capture_output=True, text=True, timeout=timeout)
        assert result.returncode == 0, result.stderr
        return result


def start_up(tmp: Path, data_dir: Path, ports: tuple[int, int, int]) -> DataCatProcess:
    web_port, broker_port, backend_port = ports
    process = DataCatProcess(
        ["up", "--data-dir", str(data_dir), "--port", str(web_port),
         "--broker-port", str(broker_port), "--backend-port", str(backend_port),
         "--workers", "2"], tmp / "up.log")
    url = f"http://127.0.0.1:{web_port}"
    wait_until(lambda: process.process.poll() is None
               and httpx.get(url + "/health", timeout=2).status_code == 200,
               60, message=f"datacat up to answer /health ({process.log_path})")
    return process


@pytest.fixture
def stack(tmp_path, monkeypatch):
    import os

    ports = (free_port(), free_port(), free_port())
    runtime_dir = tmp_path / "run"
    broker = f"tcp://127.0.0.1:{ports[1]}"
    env = {**os.environ, "DATACAT_RUNTIME_DIR": str(runtime_dir), "DATACAT_BROKER": broker,
           "DATACAT_FLUSH_INTERVAL": "0.2"}
    process = start_up(tmp_path, tmp_path / "data", ports)
    stack = Stack(process, f"http://127.0.0.1:{ports[0]}", broker, tmp_path / "data",
                  runtime_dir, env)
    yield stack
    kill_daemon(runtime_dir)
    if process.process.poll() is None:
        process.stop()
