"""Optional SDK watchdog: when a heartbeat is late, capture every thread's Python stack.

The stacks travel to the daemon as a ``stacks`` record before the hang timeout expires,
so the daemon's hang record can show where the main thread is stuck.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback

__all__ = ["Watchdog", "capture_stacks"]


def capture_stacks() -> dict:
    """``{thread name: formatted stack}`` for every live thread, plus ``main`` naming the main one."""
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    stacks = {}
    for ident, frame in sys._current_frames().items():
        name = names.get(ident, f"thread-{ident}")
        stacks[name] = traceback.format_stack(frame)
    return {"threads": stacks, "main": threading.main_thread().name}


class Watchdog:
    """Watches sessions that asked for it; one daemon thread per process."""

    def __init__(self):
        self._sessions: list = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def watch(self, session) -> None:
        with self._lock:
            self._sessions.append(session)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="datacat-watchdog",
                                                daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval()):
            now = time.monotonic()
            with self._lock:
                self._sessions = [s for s in self._sessions if not s.ended]
                sessions = list(self._sessions)
            for session in sessions:
                if session.beat_is_late(now):
                    session.send_stacks(capture_stacks())

    def _interval(self) -> float:
        with self._lock:
            timeouts = [s.hang_timeout for s in self._sessions] or [4.0]
        return max(0.05, min(timeouts) / 8)

    def stop(self) -> None:
        self._stop.set()
