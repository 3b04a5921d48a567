"""Start the user's daemon when none runs (single instance, guarded by a lock file)."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys

from .runtime import RuntimePaths

__all__ = ["daemon_running", "ensure_daemon", "hold_lock"]


def hold_lock(paths: RuntimePaths) -> int | None:
    """Take the daemon lock without waiting; the fd to keep open, or ``None`` if it is held."""
    paths.ensure()
    fd = os.open(paths.lock_file, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def daemon_running(paths: RuntimePaths) -> bool:
    """True when a daemon holds the lock in ``paths``."""
    fd = hold_lock(paths)
    if fd is None:
        return True
    os.close(fd)
    return False


def ensure_daemon(paths: RuntimePaths) -> bool:
    """Start a detached daemon if none is running; True if one was started.

    Runs in the SDK's flusher thread, never the app's. The daemon detaches itself
    (``--detach``), so the short-lived child is reaped here and leaves no zombie.
    """
    if daemon_running(paths):
        return False
    env = dict(os.environ, DATACAT_RUNTIME_DIR=str(paths.directory))
    with open(os.devnull, "rb") as devnull, open(paths.log_file, "ab") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "datacat.daemon", "--detach"],
            stdin=devnull, stdout=log, stderr=log, env=env, close_fds=True,
            start_new_session=True,
        )
    child.wait(timeout=30)
    return True
