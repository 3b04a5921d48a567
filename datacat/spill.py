"""A process's spill file: frames written before the app can die with them.

Durable records (a session's ``open``, error-level events, ``crash``, ``end``) must survive
the app's process. The SDK writes the frames holding them, and every record queued before
them, to ``<runtime>/spill/<pid>-<start ms>-<client>.spill`` in one ``write(2)``: the kernel
keeps them whatever kills the process next. The daemon drains a file once its process is
gone, taking only frames newer than the last it has from that client, so nothing is applied
twice; the SDK empties it while the daemon confirms it has those frames.

Layout: sealed records (``datacat.sealed``); the first is a msgpack header
``{v, pid, start, client}``, each later one is a frame exactly as sent on the socket.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import msgpack

from .sealed import pack_record, scan_records

__all__ = ["SpillFile", "spill_owner", "read_spill", "SPILL_SUFFIX"]

log = logging.getLogger("datacat")

SPILL_SUFFIX = ".spill"
_VERSION = 1


def spill_owner(path: Path) -> tuple[int, int] | None:
    """``(pid, start time in ms)`` from a spill file's name, or ``None`` if it is not one."""
    parts = path.name.removesuffix(SPILL_SUFFIX).split("-", 2)
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    return int(parts[0]), int(parts[1])


class SpillFile:
    """The writer side, owned by one process's transport; opened at the first write."""

    def __init__(self, directory: Path, pid: int, start_time: float, client_id: str):
        self.path = directory / f"{pid}-{int(start_time * 1000)}-{client_id}{SPILL_SUFFIX}"
        self._header = pack_record(msgpack.packb(
            {"v": _VERSION, "pid": pid, "start": start_time, "client": client_id}))
        self._fd: int | None = None
        self.last_seq = 0  # the newest frame seq written since the file was last emptied
        self.bytes = 0

    def write(self, frames: list[tuple[int, bytes]]) -> None:
        """Append ``(seq, frame)`` pairs in one system call; raises ``OSError``."""
        if not frames:
            return
        if self._fd is None:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
            os.write(self._fd, self._header)
        data = b"".join(pack_record(frame) for _, frame in frames)
        os.write(self._fd, data)
        self.bytes += len(data)
        self.last_seq = frames[-1][0]

    def empty(self) -> None:
        """Forget every frame written so far (the daemon has them)."""
        if self._fd is not None and self.bytes:
            os.ftruncate(self._fd, len(self._header))
            self.bytes = 0

    def remove(self) -> None:
        """Delete the file (a clean close: the daemon has everything)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
            self.path.unlink(missing_ok=True)
            self.bytes = 0


def read_spill(path: Path) -> tuple[str | None, Iterator[bytes]]:
    """The client id of a spill file and its frames (damaged records skipped)."""
    data = path.read_bytes()
    records = _records(data, path)
    try:
        header = msgpack.unpackb(next(records), raw=False)
        client = header["client"] if isinstance(header, dict) else None
    except (StopIteration, ValueError, KeyError, TypeError):
        return None, iter(())
    return (client if isinstance(client, str) else None), records


def _records(data: bytes, path: Path) -> Iterator[bytes]:
    for payload, skipped, reason in scan_records(data):
        if payload is not None:
            yield payload
        else:  # torn by a death mid-write, or damaged: the whole records around it still count
            log.warning("spill file %s: skipped %d damaged bytes (%s)", path, skipped, reason)
