"""The daemon's batch spool: every batch on disk from when it is built until the tier acks it.

One file per batch, ``[u32 header length][msgpack header][batch payload]``; the header says
the batch's ``daemon_id``, ``seq`` and the journal offset its frames end at. Only headers are
kept in memory, so a long outage's backlog costs disk, not RAM. ``checkpoint`` records the
journal offset already turned into batches.
"""

from __future__ import annotations

import os
import struct
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import msgpack

__all__ = ["SpoolEntry", "BatchSpool"]

_LENGTH = struct.Struct("<I")


@dataclass(frozen=True)
class SpoolEntry:
    """One spooled batch (its payload stays on disk)."""

    path: Path
    daemon_id: str
    seq: int
    offset: int
    size: int


def _write_atomically(path: Path, data: bytes, sync: bool) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        if sync:
            os.fsync(handle.fileno())
    os.replace(tmp, path)


class BatchSpool:
    """Pending batches in order, oldest first."""

    def __init__(self, directory: Path, sync: bool = True):
        self.directory = directory
        self.sync = sync
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        for stale in directory.glob("*.tmp"):
            stale.unlink()
        self.entries: deque[SpoolEntry] = deque()
        replaced: set[str] = set()
        for path in sorted(directory.glob("*.batch")):
            entry, replaces = self._read_header(path)
            self.entries.append(entry)
            replaced.update(replaces)
        for entry in [e for e in self.entries if e.path.name in replaced]:
            self.entries.remove(entry)  # a compaction finished writing but not deleting
            entry.path.unlink()
        last = self.entries[-1].path.stem if self.entries else "0"
        self._next = int(last) + 1
        self.bytes = sum(entry.size for entry in self.entries)

    @staticmethod
    def _read_header(path: Path) -> tuple[SpoolEntry, list[str]]:
        with open(path, "rb") as handle:
            (length,) = _LENGTH.unpack(handle.read(_LENGTH.size))
            header = msgpack.unpackb(handle.read(length), raw=False)
        entry = SpoolEntry(path, header["daemon_id"], header["seq"], header["offset"],
                           path.stat().st_size)
        return entry, header.get("replaces", [])

    def put(self, daemon_id: str, seq: int, offset: int, payload: bytes) -> SpoolEntry:
        """Write a batch durably and queue it last."""
        header = msgpack.packb({"daemon_id": daemon_id, "seq": seq, "offset": offset})
        path = self.directory / f"{self._next:012d}.batch"
        self._next += 1
        data = _LENGTH.pack(len(header)) + header + payload
        _write_atomically(path, data, self.sync)
        entry = SpoolEntry(path, daemon_id, seq, offset, len(data))
        self.entries.append(entry)
        self.bytes += entry.size
        return entry

    def load(self, entry: SpoolEntry) -> bytes:
        """The payload of a spooled batch."""
        with open(entry.path, "rb") as handle:
            (length,) = _LENGTH.unpack(handle.read(_LENGTH.size))
            handle.seek(length, os.SEEK_CUR)
            return handle.read()

    def remove(self, entry: SpoolEntry) -> None:
        """Forget a batch the tier acknowledged (or replaced by a compacted one)."""
        self.entries.remove(entry)
        self.bytes -= entry.size
        entry.path.unlink(missing_ok=True)

    def replace(self, old: list[SpoolEntry], daemon_id: str, seq: int, payload: bytes) -> SpoolEntry:
        """Put one (compacted) batch where the consecutive entries ``old`` were.

        It takes the first one's file name (an atomic rename over it), so the order holds;
        its header lists the other files, so a restart between the rename and their deletion
        deletes them then: their content is never sent twice.
        """
        path = old[0].path
        offset = max(entry.offset for entry in old)
        header = msgpack.packb({"daemon_id": daemon_id, "seq": seq, "offset": offset,
                                "replaces": [entry.path.name for entry in old[1:]]})
        data = _LENGTH.pack(len(header)) + header + payload
        _write_atomically(path, data, self.sync)
        position = self.entries.index(old[0])
        for gone in old:
            self.entries.remove(gone)
            self.bytes -= gone.size
            if gone is not old[0]:
                gone.path.unlink(missing_ok=True)
        entry = SpoolEntry(path, daemon_id, seq, offset, len(data))
        self.entries.insert(position, entry)
        self.bytes += entry.size
        return entry

    @property
    def checkpoint_path(self) -> Path:
        return self.directory / "checkpoint"

    def save_checkpoint(self, offset: int) -> None:
        """Frames before journal ``offset`` are all in spooled (or acked) batches."""
        _write_atomically(self.checkpoint_path, msgpack.packb({"offset": offset}), self.sync)

    def replay_offset(self) -> int:
        """Where journal replay must start after a restart."""
        try:
            offset = msgpack.unpackb(self.checkpoint_path.read_bytes())["offset"]
        except (OSError, ValueError, KeyError, TypeError):
            offset = 0
        return max([offset] + [entry.offset for entry in self.entries])
