"""Module-level entry points: ``create_session``, ``init`` and the default session's helpers."""

from __future__ import annotations

import atexit
import os
import socket
import threading
import time

import psutil

from .ids import uuid7
from .protocol import Kind
from .runtime import runtime_paths
from .session import Session
from .transport import Transport

__all__ = ["create_session", "init", "get_session", "shutdown", "SDK_VERSION"]

SDK_VERSION = "0.1.0"
_lock = threading.Lock()
_transport: Transport | None = None
_default: Session | None = None
_open_sessions: list[Session] = []  # ended at exit unless the app ended them


def _process_transport() -> Transport:
    global _transport
    with _lock:
        if _transport is None:
            _transport = Transport(runtime_paths()).start()
            atexit.register(shutdown)
        return _transport


def _machine_id() -> str | None:
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            with open(path) as handle:
                return handle.read().strip() or None
        except OSError:
            continue
    return None


def create_session(product: str, version: str, hang_timeout: float = 60.0,
                   tags: dict | None = None) -> Session:
    """Open a session for this run of ``product`` ``version``. Never blocks, never raises
    because the daemon or server is away."""
    transport = _process_transport()
    session = Session(uuid7(), product, version, transport)
    pid = os.getpid()
    try:
        started = psutil.Process(pid).create_time()
    except psutil.Error:
        started = time.time()
    transport.queue.append((Kind.OPEN.value, session.id, time.time(), product, version, pid,
                            started, socket.gethostname(), _machine_id(), tags, SDK_VERSION,
                            float(hang_timeout), None))
    _open_sessions.append(session)
    return session


def init(product: str, version: str, **options) -> Session:
    """Create the process's default session, used by the module-level helpers."""
    global _default
    _default = create_session(product, version, **options)
    return _default


def get_session() -> Session | None:
    """The default session made by ``init`` (``None`` before it)."""
    return _default


def shutdown(timeout: float = 2.0) -> None:
    """End every open session cleanly and deliver what is queued (runs at interpreter exit)."""
    for session in _open_sessions:
        session.end(reason="exit", timeout=0)
    if _transport is not None:
        _transport.close(timeout)
