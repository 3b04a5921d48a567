"""Where a user's daemon lives: runtime directory, sockets, lock; settings from the environment."""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["RuntimePaths", "runtime_paths", "spool_directory", "squatted", "DEFAULT_BROKER",
           "broker_subdirectory"]

#: Where a daemon sends when nothing says otherwise.
DEFAULT_BROKER = "tcp://127.0.0.1:5555"


@dataclass(frozen=True)
class RuntimePaths:
    """The per-user runtime directory and the endpoints inside it."""

    directory: Path

    @property
    def daemon_endpoint(self) -> str:
        return os.environ.get("DATACAT_DAEMON") or f"ipc://{self.directory / 'daemon.sock'}"

    @property
    def control_endpoint(self) -> str:
        return f"ipc://{self.directory / 'control.sock'}"

    @property
    def lock_file(self) -> Path:
        return self.directory / "daemon.lock"

    @property
    def pid_file(self) -> Path:
        return self.directory / "daemon.pid"

    @property
    def log_file(self) -> Path:
        return self.directory / "daemon.log"

    def ensure(self) -> RuntimePaths:
        """Create the directory (and the one it is a ``to-`` folder of) private to this user
        (0700); returns ``self``."""
        nested = self.directory.name.startswith("to-")
        for directory in (self.directory.parent, self.directory) if nested else (self.directory,):
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            problem = squatted(directory)
            if problem:
                raise PermissionError(f"{directory} {problem}")
            os.chmod(directory, 0o700)
        return self


log = logging.getLogger("datacat")
_warned: set[Path] = set()


def squatted(directory: Path) -> str | None:
    """Why ``directory`` is not safe to use as ours (a symlink, a file, another owner), or ``None``."""
    try:
        info = directory.lstat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if stat.S_ISLNK(info.st_mode):
        return "is a symbolic link"
    if not stat.S_ISDIR(info.st_mode):
        return "is not a directory"
    if info.st_uid != os.getuid():
        return f"belongs to uid {info.st_uid}, not {os.getuid()}"
    return None


def _state_home() -> Path:
    return Path(os.environ.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state"))


def broker_subdirectory() -> str | None:
    """``to-<hash>`` when ``$DATACAT_BROKER`` names brokers other than the default, else ``None``.

    Apps that ask for other brokers get a daemon of their own for them, in that folder of the
    runtime directory: one daemon per set of brokers, so no app is silently sent elsewhere.
    """
    brokers = sorted(part.strip() for part in os.environ.get("DATACAT_BROKER", "").split(",")
                     if part.strip())
    if not brokers or brokers == [DEFAULT_BROKER]:
        return None
    return "to-" + hashlib.sha256(",".join(brokers).encode()).hexdigest()[:12]


def runtime_paths() -> RuntimePaths:
    """``DATACAT_RUNTIME_DIR``, else ``$XDG_RUNTIME_DIR/datacat``, else ``/tmp/datacat-$UID``;
    without ``DATACAT_RUNTIME_DIR``, a ``to-<hash>`` folder of it for other brokers
    (``broker_subdirectory``).

    A directory someone else made (or a link) is never used: the paths fall back to one in
    the user's state directory, and a warning says why (once per process).
    """
    explicit = os.environ.get("DATACAT_RUNTIME_DIR")
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    sub = None if explicit else broker_subdirectory()
    if explicit:
        directory = Path(explicit)
    elif xdg and os.path.isdir(xdg):
        directory = Path(xdg) / "datacat"
    else:
        directory = Path(tempfile.gettempdir()) / f"datacat-{os.getuid()}"
    problem = squatted(directory)
    if problem is None and sub is not None:
        problem = squatted(directory / sub)
    if problem is None:
        return RuntimePaths(directory / sub if sub else directory)
    fallback = _state_home() / "datacat" / f"run-{socket.gethostname()}"
    fallback = fallback / sub if sub else fallback
    if directory not in _warned:
        _warned.add(directory)
        log.warning("datacat: not using %s: it %s; using %s instead", directory, problem, fallback)
    return RuntimePaths(fallback)


def spool_directory(paths: RuntimePaths) -> Path:
    """Beside an explicit ``DATACAT_RUNTIME_DIR``, else ``$XDG_STATE_HOME/datacat/spool``
    (``spool-to-<hash>`` for the daemon of other brokers).

    The default runtime directory is often a tmpfs: a spool there would not outlive a reboot.
    """
    if os.environ.get("DATACAT_RUNTIME_DIR"):
        return paths.directory / "spool"
    name = paths.directory.name
    return _state_home() / "datacat" / (f"spool-{name}" if name.startswith("to-") else "spool")
