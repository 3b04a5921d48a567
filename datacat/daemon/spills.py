"""Take the frames that dead processes left in their spill files (see ``datacat.spill``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import psutil

from ..spill import SPILL_SUFFIX, read_spill, spill_owner

__all__ = ["drain_spills", "process_alive"]

log = logging.getLogger("datacat.daemon")

START_TOLERANCE_MS = 20  # psutil's start time, rounded to ms in the file name


def process_alive(pid: int, start_ms: int) -> bool:
    """True while the process ``pid`` that started at ``start_ms`` runs (pid reuse is not)."""
    try:
        started = psutil.Process(pid).create_time() * 1000
    except psutil.Error:
        return False
    return abs(started - start_ms) <= START_TOLERANCE_MS


def drain_spills(directory: Path, take: Callable[[bytes], int],
                 alive: Callable[[int, int], bool] = process_alive) -> int:
    """Hand every frame of a dead process's spill file to ``take``, then delete the file.

    ``take`` skips frames it already has, so a file is safe to drain whatever reached the
    daemon through the socket. Returns how many records were taken.
    """
    taken = 0
    try:
        paths = sorted(directory.glob(f"*{SPILL_SUFFIX}"))
    except OSError:
        return 0
    for path in paths:
        owner = spill_owner(path)
        if owner is None or alive(*owner):
            continue
        try:
            client, frames = read_spill(path)
            count = sum(take(frame) for frame in frames)
        except OSError:
            log.warning("cannot read the spill file %s", path, exc_info=True)
            continue
        path.unlink(missing_ok=True)
        if count:
            log.info("took %d records from the spill file of client %s", count, client)
        taken += count
    return taken
