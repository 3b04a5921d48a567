"""Running ``datacat`` as a user would, in an environment of the test's own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

__all__ = ["datacat", "isolated_env"]


def isolated_env(tmp: Path, **extra: str) -> dict:
    """No ``DATACAT_*`` from outside; runtime, state and config under ``tmp``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("DATACAT_")}
    env.update(DATACAT_RUNTIME_DIR=str(tmp / "run"), XDG_STATE_HOME=str(tmp / "state"),
               XDG_CONFIG_HOME=str(tmp / "config"), XDG_DATA_HOME=str(tmp / "data"),
               DATACAT_SPOOL_SYNC="0", DATACAT_FLUSH_INTERVAL="0.2")
    env.update(extra)
    return env


def datacat(*args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "datacat.cli", *args], capture_output=True,
                          text=True, timeout=timeout, env=env)
