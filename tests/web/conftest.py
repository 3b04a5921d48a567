"""A real ``python -m datacat.web`` on a free port and a tmp diskcache store, per module."""

from __future__ import annotations

import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from datacat.broker.apply import apply
from datacat.broker.store import Store, open_store
from tests.helpers import free_port, wait_until


@dataclass
class WebServer:
    """A running web process, an HTTP client for it, and the same store opened here."""

    process: subprocess.Popen
    url: str
    store_url: str
    log_path: Path
    client: httpx.Client
    store: Store

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def create(self, product: str | None = None, version: str = "1.0", **fields) -> str:
        """A new session through ``POST /api/sessions``; returns its id."""
        body = {"product": product or unique("P"), "version": version, **fields}
        response = self.client.post("/api/sessions", json=body)
        assert response.status_code == 200, response.text
        return response.json()["session_id"]

    def seed(self, sessions: dict) -> None:
        """Write ``{sid: part}`` straight into the store through ``apply`` (the ingest path)."""
        apply(self.store, {"sessions": sessions})


def unique(prefix: str) -> str:
    """A name no other test uses (tests share one server per module)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def start_web(tmp: Path, store_url: str, *extra: str) -> tuple[subprocess.Popen, str, Path]:
    """Start ``python -m datacat.web`` and return once ``/health`` answers."""
    port = free_port()
    log_path = tmp / f"web-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "datacat.web", "--store", store_url,
             "--host", "127.0.0.1", "--port", str(port), *extra],
            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"web exited with {process.returncode}:\n{log_path.read_text()}")
        return httpx.get(url + "/health", timeout=2).status_code == 200

    wait_until(healthy, 30, message=f"{url}/health")
    return process, url, log_path


def stop_web(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
    """Signal the server and wait for it; fails if it does not exit in time."""
    process.send_signal(sig)
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise AssertionError(f"web server ignored signal {sig}") from None


@pytest.fixture(scope="module")
def web(tmp_path_factory) -> WebServer:
    tmp = tmp_path_factory.mktemp("web")
    store_url = f"diskcache://{tmp / 'store'}"
    process, url, log_path = start_web(tmp, store_url)
    store = open_store(store_url)
    client = httpx.Client(base_url=url, timeout=10)
    server = WebServer(process, url, store_url, log_path, client, store)
    try:
        yield server
    finally:
        client.close()
        store.close()
        code = stop_web(process)
        assert code == 0, f"web exited with {code} on SIGTERM:\n{server.log()[-3000:]}"
        assert "Traceback" not in server.log(), server.log()[-3000:]
