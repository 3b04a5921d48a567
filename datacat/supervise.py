"""``datacat up``: run broker, ingest workers and web as child processes and keep them running."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass

from .process import on_stop_signals

__all__ = ["Child", "Supervisor", "wait_http"]


@dataclass
class Child:
    """A named child process and the command that (re)starts it."""

    name: str
    argv: list[str]
    restart: bool = True
    process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(self.argv)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


def wait_http(url: str, timeout: float, alive=lambda: True) -> bool:
    """Poll ``url`` until it answers 200, ``alive()`` turns False, or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive():
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.1)  # pacing between polls of a deadline loop
    return False


class Supervisor:
    """Starts children in order, restarts the ones that die, stops all on SIGTERM/SIGINT."""

    def __init__(self, children: list[Child], grace: float = 10.0):
        self.children = children
        self.grace = grace
        self._stop = threading.Event()

    def start(self) -> None:
        for child in self.children:
            child.start()

    def install_signal_handlers(self) -> None:
        on_stop_signals(self._stop.set)

    def watch(self) -> None:
        """Block until asked to stop, restarting children that exit."""
        while not self._stop.wait(0.5):
            for child in self.children:
                if not child.alive() and child.restart:
                    code = child.process.returncode if child.process else None
                    print(f"datacat up: {child.name} exited ({code}); restarting", file=sys.stderr)
                    child.start()
        self.stop()

    def stop(self) -> None:
        """SIGTERM every child (web first, broker last), then SIGKILL what outlives the grace."""
        for child in reversed(self.children):
            if child.alive():
                child.process.terminate()
        deadline = time.monotonic() + self.grace
        for child in reversed(self.children):
            if child.process is None:
                continue
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
