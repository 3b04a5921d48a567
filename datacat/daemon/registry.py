"""The daemon's persisted registry of watched sessions, so a restarted daemon keeps watching.

One sealed file (``datacat.sealed``): a damaged registry is quarantined, never trusted.
"""

from __future__ import annotations

import logging
from pathlib import Path

import msgpack

from ..sealed import Damaged, quarantine, read_sealed, write_sealed
from .watch import Watched

__all__ = ["save_registry", "load_registry"]

log = logging.getLogger("datacat.daemon")


def save_registry(path: Path, sessions: dict[str, Watched], states: dict[str, dict]) -> None:
    """Write every watched session (and its last known state) atomically; raises ``OSError``."""
    entries = [dict(watched.to_dict(), state=states.get(sid, {}))
               for sid, watched in sessions.items()]
    write_sealed(path, msgpack.packb({"v": 1, "sessions": entries}, use_bin_type=True))


def load_registry(path: Path, now: float) -> tuple[list[Watched], dict[str, dict]]:
    """The sessions a previous daemon watched, and their last known states."""
    try:
        data = msgpack.unpackb(read_sealed(path), raw=False)
        watched, states = [], {}
        for entry in data["sessions"]:
            states[entry["sid"]] = entry.pop("state", {})
            watched.append(Watched.from_dict(entry, now))
        return watched, states
    except FileNotFoundError:
        return [], {}
    except Exception as exc:  # noqa: BLE001 - a damaged registry must not keep the daemon down
        quarantine(path, getattr(exc, "reason", "unreadable") if isinstance(exc, Damaged)
                   else "unreadable")
        return [], {}
