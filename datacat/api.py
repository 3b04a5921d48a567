"""Module-level entry points: ``create_session``, ``init`` and the default session's helpers.

Per process the SDK holds one transport, the open sessions and its hooks. A child made by
``fork`` starts afresh: its own transport and sessions, linked to the parent's session.
"""

from __future__ import annotations

import atexit
import os
import socket
import sys
import threading
import time

import psutil

from .hooks import ProcessHooks
from .ids import uuid7
from .protocol import Kind
from .runtime import runtime_paths
from .session import Session
from .transport import Transport
from .watchdog import Watchdog

__all__ = ["create_session", "init", "get_session", "shutdown", "SDK_VERSION"]

SDK_VERSION = "0.1.0"
PARENT_ENV = "DATACAT_PARENT_SESSION"  # the session a child process links to


class _ProcessState:
    """Everything the SDK keeps per process."""

    def __init__(self, parent_session_id: str | None = None):
        self.transport: Transport | None = None
        self.sessions: list[Session] = []  # ended at exit unless the app ended them
        self.default: Session | None = None
        self.hooks: ProcessHooks | None = None
        self.watchdog: Watchdog | None = None
        self.parent_session_id = parent_session_id

    def open_sessions(self) -> list[Session]:
        return [session for session in self.sessions if not session.ended]


_lock = threading.Lock()
_process = _ProcessState(os.environ.get(PARENT_ENV) or None)


def _advertise(state: _ProcessState) -> None:
    """Name this process's current session in the environment children inherit.

    A child started by ``spawn``, ``forkserver`` or ``subprocess`` reads it at import and
    links its own sessions to it; once every session here ended, this process's parent is named.
    """
    current = state.default if state.default and not state.default.ended else next(
        iter(state.open_sessions()), None)
    parent = current.id if current else state.parent_session_id
    if parent:
        os.environ[PARENT_ENV] = parent
    else:
        os.environ.pop(PARENT_ENV, None)


def _after_fork_in_child() -> None:
    """The parent's sockets and threads are not ours: start over, remembering the parent."""
    global _process, _lock
    parent = _process.default or next(iter(_process.open_sessions()), None)
    _lock = threading.Lock()
    _process = _ProcessState(parent.id if parent else _process.parent_session_id)


os.register_at_fork(after_in_child=_after_fork_in_child)


def _start_process() -> _ProcessState:
    """Transport, hooks and the exit handler, once per process (and again after a fork)."""
    state = _process
    with _lock:
        if state.transport is None:
            paths = runtime_paths()
            state.transport = Transport(paths, start_time=_process_start_time()).start()
            state.hooks = ProcessHooks(state.open_sessions, shutdown)
            state.hooks.install(paths.directory / "faults")
            atexit.register(shutdown)
            _register_multiprocessing_exit()
        return state


def _register_multiprocessing_exit() -> None:
    """``multiprocessing`` children leave through ``os._exit``: end their sessions there too."""
    mp = sys.modules.get("multiprocessing")
    if mp is not None and mp.parent_process() is not None:
        from multiprocessing import util

        util.Finalize(None, shutdown, exitpriority=100)


def _process_start_time() -> float:
    """This process's start time as psutil tells it (what the daemon checks liveness by)."""
    try:
        return psutil.Process(os.getpid()).create_time()
    except psutil.Error:
        return time.time()


def _machine_id() -> str | None:
    """``DATACAT_MACHINE_ID`` if set, else the OS's machine id (``/etc/machine-id``)."""
    if os.environ.get("DATACAT_MACHINE_ID"):
        return os.environ["DATACAT_MACHINE_ID"]
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            with open(path) as handle:
                return handle.read().strip() or None
        except OSError:
            continue
    return None


def create_session(product: str, version: str, hang_timeout: float = 60.0,
                   tags: dict | None = None, watchdog: bool = False) -> Session:
    """Open a session for this run of ``product`` ``version``.

    Never blocks, never raises because the daemon or server is away. ``watchdog=True``
    captures every thread's stack when a heartbeat is late, for the hang report.
    """
    state = _start_process()
    session = Session(uuid7(), product, version, state.transport, float(hang_timeout),
                      on_end=lambda: _advertise(state))
    pid, started = os.getpid(), _process_start_time()
    fault_file = state.hooks.fault_file
    state.transport.add((
        Kind.OPEN.value, session.id, time.time(), product, version, pid, started,
        socket.gethostname(), _machine_id(), tags, SDK_VERSION, float(hang_timeout),
        state.parent_session_id, str(fault_file) if fault_file else None))
    state.sessions.append(session)
    state.transport.persist()  # the open record survives a death on the next line
    _advertise(state)
    if watchdog:
        with _lock:
            state.watchdog = state.watchdog or Watchdog()
        state.watchdog.watch(session)
    return session


def init(product: str, version: str, **options) -> Session:
    """Create the process's default session, used by the module-level helpers."""
    _process.default = create_session(product, version, **options)
    return _process.default


def get_session() -> Session | None:
    """The default session made by ``init`` (``None`` before it)."""
    return _process.default


def shutdown(timeout: float = 2.0) -> None:
    """End every open session cleanly and deliver what is queued (runs at interpreter exit)."""
    state = _process
    for session in state.open_sessions():
        session.end(reason="exit", timeout=0)
    if state.watchdog is not None:
        state.watchdog.stop()
    if state.transport is not None:
        state.transport.close(timeout)
    if state.hooks is not None:  # only a native crash, which skips this, needs the file
        state.hooks.remove_fault_file()
