"""What the operating system says about a watched process and about machine sleep."""

from __future__ import annotations

import enum
import os
import re
import time

import psutil

__all__ = ["ProcState", "ProcessProbe", "SleepClock", "read_fault_file"]

#: faulthandler's first line names the fatal signal.
_FATAL = {
    "Segmentation fault": "SIGSEGV", "Aborted": "SIGABRT", "Bus error": "SIGBUS",
    "Floating point exception": "SIGFPE", "Illegal instruction": "SIGILL",
}
_FATAL_LINE = re.compile(r"Fatal Python error: (.+)")
MAX_TRACEBACK = 256 * 1024


class ProcState(enum.Enum):
    RUNNING = "running"
    STOPPED = "stopped"  # SIGSTOP / job control: state T
    TRACED = "traced"  # a debugger is attached (TracerPid != 0 or state t)
    GONE = "gone"  # exited, or the pid now belongs to another process


class ProcessProbe:
    """Process state by pid *and* start time, so a reused pid is not taken for the app."""

    def state(self, pid: int, start_time: float) -> ProcState:
        try:
            process = psutil.Process(pid)
            if abs(process.create_time() - start_time) > 1.0:
                return ProcState.GONE
            status = process.status()
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            return ProcState.GONE
        except psutil.Error:
            return ProcState.RUNNING  # not ours to inspect: assume alive rather than crashed
        if status == psutil.STATUS_ZOMBIE or status == psutil.STATUS_DEAD:
            return ProcState.GONE
        if status == psutil.STATUS_STOPPED:
            return ProcState.STOPPED
        if status == psutil.STATUS_TRACING_STOP or _tracer_pid(pid):
            return ProcState.TRACED
        return ProcState.RUNNING


def _tracer_pid(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("TracerPid:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class SleepClock:
    """Seconds the machine spent suspended, from the CLOCK_BOOTTIME - CLOCK_MONOTONIC gap."""

    def __init__(self, threshold: float = 0.5):
        self.threshold = threshold
        self._gap = self._read()

    @staticmethod
    def _read() -> float:
        boottime = getattr(time, "CLOCK_BOOTTIME", None)
        if boottime is None:
            return 0.0
        return time.clock_gettime(boottime) - time.monotonic()

    def slept(self) -> float:
        """Suspended time since the previous call (0 below ``threshold``)."""
        gap = self._read()
        slept, self._gap = gap - self._gap, gap
        return slept if slept > self.threshold else 0.0


def read_fault_file(path: str | None) -> tuple[str, str | None] | None:
    """``(traceback, signal name)`` if faulthandler wrote to ``path``; the file is removed."""
    if not path:
        return None
    try:
        with open(path, errors="replace") as handle:
            text = handle.read(MAX_TRACEBACK)
        os.unlink(path)
    except OSError:
        return None
    if not text.strip():
        return None
    match = _FATAL_LINE.search(text)
    return text, _FATAL.get(match.group(1).strip()) if match else None
