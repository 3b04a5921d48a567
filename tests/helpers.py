"""Shared test helpers: free ports, polling with deadlines, real child processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

__all__ = ["free_port", "wait_until", "DataCatProcess", "kill_daemon", "all_events"]


_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A port free now and not handed out before in this process: the kernel may offer a
    port it has just given back, and two picked in a row for one stack must differ."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


def wait_until(predicate: Callable[[], object], timeout: float = 20.0, interval: float = 0.05,
               message: str = "condition") -> object:
    """Poll ``predicate`` until it returns something truthy; fail the test at the deadline."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except (httpx.HTTPError, OSError, KeyError, ValueError) as exc:
            last_error = exc
        time.sleep(interval)  # pacing between polls, not synchronisation
    raise AssertionError(f"timed out after {timeout}s waiting for {message}"
                         + (f" (last error: {last_error!r})" if last_error else ""))


class DataCatProcess:
    """A ``python -m datacat.cli ...`` child with its output in a log file."""

    def __init__(self, args: list[str], log_path: Path, env: dict | None = None):
        self.log_path = log_path
        self._log = open(log_path, "ab")
        self.process = subprocess.Popen([sys.executable, "-m", "datacat.cli", *args],
                                         stdout=self._log, stderr=subprocess.STDOUT,
                                         env={**os.environ, **(env or {})})

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM, wait; SIGKILL if it does not exit in time (and fail loudly)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError(
                    f"{self.process.args} ignored SIGTERM:\n{self.log()[-2000:]}") from None
        self._log.close()
        return self.process.returncode


def kill_daemon(runtime_dir: Path, timeout: float = 10.0) -> None:
    """Stop a daemon (auto-started or not) through its pid file, waiting for it to exit."""
    pid_file = runtime_dir / "daemon.pid"
    try:
        pid = int(pid_file.read_text())
    except (OSError, ValueError):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return

    def gone() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False

    wait_until(gone, timeout, message=f"daemon {pid} to exit")


def all_events(get: Callable[..., httpx.Response], sid: str) -> list[dict]:
    """Every stored event of ``sid``, oldest first, paged through ``/api/v1``.

    ``get(path, **params)`` is a stack's or tier's GET."""
    events, start = [], 0
    while start is not None:
        page = get(f"/api/v1/sessions/{sid}/events", start=start, limit=500).json()
        events += page["items"]
        start = page.get("next")
    return events
