"""The daemon's persisted registry of watched sessions, so a restarted daemon keeps watching."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import msgpack

from .watch import Watched

__all__ = ["save_registry", "load_registry"]

log = logging.getLogger("datacat.daemon")


def save_registry(path: Path, sessions: dict[str, Watched], states: dict[str, dict]) -> None:
    """Write every watched session (and its last known state) atomically."""
    entries = [dict(watched.to_dict(), state=states.get(sid, {}))
               for sid, watched in sessions.items()]
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as handle:
        handle.write(msgpack.packb({"v": 1, "sessions": entries}, use_bin_type=True))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def load_registry(path: Path, now: float) -> tuple[list[Watched], dict[str, dict]]:
    """The sessions a previous daemon watched, and their last known states."""
    try:
        data = msgpack.unpackb(path.read_bytes(), raw=False)
        watched, states = [], {}
        for entry in data["sessions"]:
            states[entry["sid"]] = entry.pop("state", {})
            watched.append(Watched.from_dict(entry, now))
        return watched, states
    except FileNotFoundError:
        return [], {}
    except Exception:  # noqa: BLE001 - a damaged registry must not keep the daemon down
        log.exception("ignoring the unreadable registry %s", path)
        return [], {}
