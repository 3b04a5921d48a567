"""``datacat up``: run broker, ingest workers and web as child processes and keep them running.

Children die with the supervisor, even when it is SIGKILLed (``PR_SET_PDEATHSIG``). A child that
exits is restarted with backoff; one that keeps failing soon after each start makes the
supervisor give up, say so and stop the stack rather than loop.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from .process import on_stop_signals

__all__ = ["Child", "Supervisor", "GaveUp", "wait_http", "die_with_parent"]

PR_SET_PDEATHSIG = 1
FAST_FAILURE = 10.0  # a child that exits sooner than this after its start failed fast
MAX_FAST_FAILURES = 4
MAX_BACKOFF = 30.0


def _find_prctl():
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux
        return None


_prctl = _find_prctl()  # looked up here: between fork and exec, only call it


def die_with_parent(parent: int) -> Callable[[], None]:
    """A ``preexec_fn``: the child gets SIGTERM when ``parent`` (this process) dies (Linux)."""

    def arm() -> None:
        if _prctl is None:
            return
        _prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return arm


class GaveUp(RuntimeError):
    """A child failed too often, too soon after its start; the message says which."""


@dataclass
class Child:
    """A named child process and the command that (re)starts it."""

    name: str
    argv: list[str]
    restart: bool = True
    env: dict | None = None
    process: subprocess.Popen | None = None
    started: float = 0.0
    fast_failures: int = 0
    restart_at: float | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(self.argv, env=self.env, preexec_fn=die_with_parent(os.getpid()))
        self.started = time.monotonic()
        self.restart_at = None

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


def _say(text: str) -> None:
    print(f"datacat up: {text}", file=sys.stderr, flush=True)


class Supervisor:
    """Starts children in order, restarts the ones that die, stops all on SIGTERM/SIGINT."""

    def __init__(self, children: list[Child], grace: float = 10.0, backoff: float = 0.5):
        self.children = children
        self.grace = grace
        self.backoff = backoff  # the first pause before a restart; it doubles per fast failure
        self._stop = threading.Event()

    def start(self) -> None:
        for child in self.children:
            child.start()

    def add(self, child: Child) -> None:
        """Start one more child, supervised like the others."""
        self.children.append(child)
        child.start()

    @property
    def stopping(self) -> bool:
        """SIGTERM or SIGINT arrived."""
        return self._stop.is_set()

    def install_signal_handlers(self) -> None:
        on_stop_signals(self._stop.set)

    def first_dead(self) -> Child | None:
        """A child that exited (during start-up, where nothing is restarted)."""
        return next((child for child in self.children if child.process and not child.alive()),
                    None)

    def watch(self) -> None:
        """Block until asked to stop, restarting children that exit; ``GaveUp`` stops the stack."""
        try:
            while not self._stop.wait(min(0.5, self.backoff)):
                now = time.monotonic()
                for child in self.children:
                    self._tend(child, now)
        finally:
            self.stop()

    def _tend(self, child: Child, now: float) -> None:
        if child.alive() or not child.restart:
            return
        if child.restart_at is None:
            code = child.process.returncode
            ran = now - child.started
            child.fast_failures = child.fast_failures + 1 if ran < FAST_FAILURE else 0
            if child.fast_failures >= MAX_FAST_FAILURES:
                raise GaveUp(f"{child.name} exited ({code}) {child.fast_failures} times in a row "
                             f"within {FAST_FAILURE:.0f} s of starting; giving up and stopping")
            delay = min(MAX_BACKOFF, self.backoff * 2 ** child.fast_failures)
            _say(f"{child.name} exited ({code}) after {ran:.0f} s; restarting in {delay:.1f} s")
            child.restart_at = now + delay
        elif now >= child.restart_at:
            child.start()

    def stop(self) -> None:
        """SIGTERM every child (last started first), then SIGKILL what outlives the grace."""
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
