"""Where a user's daemon lives: runtime directory, sockets, lock; settings from the environment."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["RuntimePaths", "runtime_paths", "spool_directory"]

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
        os.chmod(self.directory, 0o700)
        return self


def runtime_paths() -> RuntimePaths:
    """``DATACAT_RUNTIME_DIR``, else ``$XDG_RUNTIME_DIR/datacat``, else ``/tmp/datacat-$UID``."""
    explicit = os.environ.get("DATACAT_RUNTIME_DIR")
    if explicit:
        return RuntimePaths(Path(explicit))
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg and os.path.isdir(xdg):
        return RuntimePaths(Path(xdg) / "datacat")
    return RuntimePaths(Path(tempfile.gettempdir()) / f"datacat-{os.getuid()}")


def spool_directory(paths: RuntimePaths) -> Path:
    """Beside an explicit ``DATACAT_RUNTIME_DIR``, else ``$XDG_STATE_HOME/datacat/spool``.

    The default runtime directory is often a tmpfs: a spool there would not outlive a reboot.
    """
    if os.environ.get("DATACAT_RUNTIME_DIR"):
        return paths.directory / "spool"
    state = os.environ.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state")
    return Path(state) / "datacat" / "spool"
