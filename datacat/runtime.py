"""Where a user's daemon lives: runtime directory, sockets, lock; settings from the environment."""

from __future__ import annotations

import logging
import os
import socket
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["RuntimePaths", "runtime_paths", "spool_directory", "squatted"]


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
        """Create the directory private to this user (0700); returns ``self``."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        problem = squatted(self.directory)
        if problem:
            raise PermissionError(f"{self.directory} {problem}")
        os.chmod(self.directory, 0o700)
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


def runtime_paths() -> RuntimePaths:
    """``DATACAT_RUNTIME_DIR``, else ``$XDG_RUNTIME_DIR/datacat``, else ``/tmp/datacat-$UID``.

    A directory someone else made (or a link) is never used: the paths fall back to one in
    the user's state directory, and a warning says why (once per process).
    """
    explicit = os.environ.get("DATACAT_RUNTIME_DIR")
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if explicit:
        directory = Path(explicit)
    elif xdg and os.path.isdir(xdg):
        directory = Path(xdg) / "datacat"
    else:
        directory = Path(tempfile.gettempdir()) / f"datacat-{os.getuid()}"
    problem = squatted(directory)
    if problem is None:
        return RuntimePaths(directory)
    fallback = _state_home() / "datacat" / f"run-{socket.gethostname()}"
    if directory not in _warned:
        _warned.add(directory)
        log.warning("datacat: not using %s: it %s; using %s instead", directory, problem, fallback)
    return RuntimePaths(fallback)


def spool_directory(paths: RuntimePaths) -> Path:
    """Beside an explicit ``DATACAT_RUNTIME_DIR``, else ``$XDG_STATE_HOME/datacat/spool``.

    The default runtime directory is often a tmpfs: a spool there would not outlive a reboot.
    """
    if os.environ.get("DATACAT_RUNTIME_DIR"):
        return paths.directory / "spool"
    return _state_home() / "datacat" / "spool"
