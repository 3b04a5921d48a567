"""Start the user's daemon when none runs (single instance, guarded by a lock file); say so when
the running one sends elsewhere than ``$DATACAT_BROKER`` asks."""

from __future__ import annotations

import fcntl
import logging
import os
import subprocess
import sys

from .control import ask
from .runtime import RuntimePaths, spool_directory

__all__ = ["daemon_running", "ensure_daemon", "hold_lock", "daemon_brokers", "warn_other_broker"]

log = logging.getLogger("datacat")


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


def daemon_brokers(paths: RuntimePaths, timeout: float = 1.0) -> list[str] | None:
    """The brokers the running daemon sends to, or ``None`` if no daemon answers."""
    reply = ask(paths.control_endpoint, {"op": "status"}, timeout)
    brokers = reply.get("brokers") if reply else None
    return brokers if isinstance(brokers, list) else None


def warn_other_broker(paths: RuntimePaths) -> None:
    """Say so when ``$DATACAT_BROKER`` names brokers the running daemon does not send to (only
    possible with an explicit ``DATACAT_RUNTIME_DIR``: otherwise other brokers get a daemon of
    their own, see ``runtime.broker_subdirectory``)."""
    wanted = [part.strip() for part in os.environ.get("DATACAT_BROKER", "").split(",") if part.strip()]
    running = daemon_brokers(paths) if wanted else None
    if running is not None and sorted(wanted) != sorted(running):
        log.warning("datacat: DATACAT_BROKER is %s, but the running daemon (%s) sends to %s; "
                    "records go there. `datacat daemon stop` lets the next app start one for %s",
                    ",".join(wanted), paths.directory, ",".join(running), ",".join(wanted))


def _private(path: str, flags: int) -> int:
    return os.open(path, flags, 0o600)


def ensure_daemon(paths: RuntimePaths) -> bool:
    """Start a detached daemon if none is running; True if one was started.

    Runs in the SDK's flusher thread, never the app's. The daemon detaches itself
    (``--detach``), so the short-lived child is reaped here and leaves no zombie.
    """
    if daemon_running(paths):
        warn_other_broker(paths)
        return False
    env = dict(os.environ, DATACAT_RUNTIME_DIR=str(paths.directory))
    if not os.environ.get("DATACAT_RUNTIME_DIR") and not os.environ.get("DATACAT_SPOOL_DIR"):
        env["DATACAT_SPOOL_DIR"] = str(spool_directory(paths))  # the state directory, not /tmp
    with open(os.devnull, "rb") as devnull, open(paths.log_file, "ab", opener=_private) as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "datacat.daemon", "--detach"],
            stdin=devnull, stdout=log, stderr=log, env=env, close_fds=True,
            start_new_session=True,
        )
    child.wait(timeout=30)
    return True
