"""Slow store reads run off the event loop: ``/health`` and writes keep answering."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.helpers import free_port, wait_until

from .conftest import stop_web

SLOW_SECONDS = 8.0  # each slow read burns CPU this long (its request times out at 2 s)
READ_THREADS = 4  # WebSettings.read_threads


def _start(tmp) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ, DATACAT_TEST_SLOW_DIR=str(tmp),
               DATACAT_TEST_SLOW_SECONDS=str(SLOW_SECONDS))
    log = open(tmp / "web.log", "wb")  # noqa: SIM115 - the server keeps it open
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.web.slow_server", "--store", f"diskcache://{tmp / 'store'}",
         "--host", "127.0.0.1", "--port", str(port), "--read-timeout", "2"],
        stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        assert process.poll() is None, (tmp / "web.log").read_text()
        try:
            return httpx.get(url + "/health", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    wait_until(healthy, 30, message="slow server /health")
    return process, url


def test_slow_readers_time_out_while_health_and_writes_answer(tmp_path):
    process, url = _start(tmp_path)
    try:
        with httpx.Client(base_url=url, timeout=60) as client, ThreadPoolExecutor(6) as pool:
            slow = [pool.submit(client.get, "/api/v1/sessions", params={"product": "slow"})
                    for _ in range(6)]
            # every read thread is busy burning CPU from here on
            wait_until(lambda: len(list(tmp_path.glob("[0-9a-f]*"))) >= READ_THREADS, 20,
                       message="slow reads running")
            latencies = []
            for _ in range(20):
                started = time.perf_counter()
                assert client.get("/health").status_code == 200
                latencies.append(time.perf_counter() - started)
            created = client.post("/api/sessions", json={"product": "P", "version": "1"})
            assert created.status_code == 200, created.text
            busy = len(list(tmp_path.glob("[0-9a-f]*")))
            answers = [future.result() for future in slow]
        assert busy >= READ_THREADS  # the measurements ran while the slow reads did
        assert statistics.median(latencies) < 0.1, latencies
        assert max(latencies) < 2.0, latencies
        assert [a.status_code for a in answers] == [503] * 6
        assert {a.json()["error"] for a in answers} == {"timeout"}
        assert answers[0].headers["retry-after"] == "1"
        # once the slow reads are done, reads are served again
        wait_until(lambda: httpx.get(url + "/api/v1/sessions", timeout=10).status_code == 200,
                   SLOW_SECONDS * 3, message="reads served again")
        sid = created.json()["session_id"]
        assert httpx.get(f"{url}/api/sessions/{sid}", timeout=10).json()["id"] == sid
    finally:
        assert stop_web(process) == 0
    assert "Traceback" not in (tmp_path / "web.log").read_text()
