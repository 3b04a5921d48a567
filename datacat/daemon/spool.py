"""The daemon's batch spool: every batch on disk from when it is built until the tier acks it.

One file per batch: a sealed header record (``datacat.sealed``) naming the batch's
``daemon_id``, ``seq``, the journal offset its frames end at and its payload's length and
CRC-32, then the payload. Only headers are kept in memory, so a long outage's backlog costs
disk, not RAM. A damaged file is quarantined alone; the rest flows on. When a batch cannot
be written (the disk is full), it is kept in memory, counted against the same byte bound,
and written out once space returns. ``checkpoint`` records the journal offset already
turned into batches.
"""

from __future__ import annotations

import logging
import zlib
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path

import msgpack

from ..sealed import (
    RECORD_HEADER,
    Damaged,
    check_record,
    pack_record,
    quarantine,
    read_sealed,
    write_atomically,
    write_sealed,
)

__all__ = ["SpoolEntry", "BatchSpool"]

log = logging.getLogger("datacat.daemon.spool")

_HEADER_FIELDS = {"daemon_id": str, "seq": int, "offset": int, "length": int, "crc": int}


@dataclass(frozen=True)
class SpoolEntry:
    """One spooled batch; its payload stays on disk unless the disk refused it."""

    path: Path
    daemon_id: str
    seq: int
    offset: int
    size: int
    crc: int
    held: bytes | None = field(default=None, repr=False, compare=False)  # not on disk yet


def _header(daemon_id: str, seq: int, offset: int, payload: bytes, replaces=()) -> bytes:
    header = {"daemon_id": daemon_id, "seq": seq, "offset": offset, "length": len(payload),
              "crc": zlib.crc32(payload)}
    if replaces:
        header["replaces"] = list(replaces)
    return pack_record(msgpack.packb(header))


class BatchSpool:
    """Pending batches in order, oldest first."""

    def __init__(self, directory: Path, sync: bool = True):
        self.directory = directory
        self.sync = sync
        self.drops: Counter = Counter()  # batches lost to damage, by reason
        self.write_failures = 0
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        for stale in directory.glob("*.tmp"):
            stale.unlink()
        self.entries: deque[SpoolEntry] = deque()
        replaced: set[str] = set()
        for path in sorted(directory.glob("*.batch")):
            try:
                entry, replaces = self._read_header(path)
            except (Damaged, OSError) as exc:
                self._quarantine(path, getattr(exc, "reason", "unreadable"))
                continue
            self.entries.append(entry)
            replaced.update(replaces)
        for entry in [e for e in self.entries if e.path.name in replaced]:
            self.entries.remove(entry)  # a compaction finished writing but not deleting
            entry.path.unlink()
        last = self.entries[-1].path.stem if self.entries else "0"
        self._next = int(last) + 1
        self.bytes = sum(entry.size for entry in self.entries)
        self._failing = False

    @staticmethod
    def _read_header(path: Path) -> tuple[SpoolEntry, list[str]]:
        with open(path, "rb") as handle:
            prefix = handle.read(RECORD_HEADER.size)
            if len(prefix) < RECORD_HEADER.size:
                raise Damaged("truncated", "no header")
            length, _ = RECORD_HEADER.unpack(prefix)
            if length > 4096:
                raise Damaged("bad_header", f"header of {length} bytes")
            try:
                header = msgpack.unpackb(check_record(prefix, handle.read(length)), raw=False)
            except (ValueError, msgpack.ExtraData) as exc:
                raise Damaged("bad_header", str(exc)[:80]) from exc
        if not isinstance(header, dict) or any(type(header.get(k)) is not t
                                               for k, t in _HEADER_FIELDS.items()):
            raise Damaged("bad_header", "fields missing or of the wrong type")
        entry = SpoolEntry(path, header["daemon_id"], header["seq"], header["offset"],
                           path.stat().st_size, header["crc"])
        return entry, header.get("replaces") or []

    def _quarantine(self, path: Path, reason: str) -> None:
        self.drops[f"spool_damaged_batches:{reason}"] += 1
        quarantine(path, reason)

    def _write(self, path: Path, data: bytes) -> bool:
        """Write ``data`` atomically; False (logged once per episode) if the disk refused."""
        try:
            write_atomically(path, data, self.sync)
        except OSError as exc:
            self.write_failures += 1
            if not self._failing:
                log.error("cannot write to the spool %s (%s): keeping batches in memory",
                          self.directory, exc.strerror or exc)
            self._failing = True
            return False
        if self._failing:
            log.warning("the spool %s takes writes again", self.directory)
        self._failing = False
        return True

    def _make(self, path: Path, daemon_id: str, seq: int, offset: int, payload: bytes,
              replaces=()) -> SpoolEntry:
        data = _header(daemon_id, seq, offset, payload, replaces) + payload
        held = None if self._write(path, data) else payload
        return SpoolEntry(path, daemon_id, seq, offset, len(data), zlib.crc32(payload), held)

    def put(self, daemon_id: str, seq: int, offset: int, payload: bytes) -> SpoolEntry:
        """Write a batch durably (or hold it in memory if the disk refuses) and queue it last."""
        path = self.directory / f"{self._next:012d}.batch"
        self._next += 1
        entry = self._make(path, daemon_id, seq, offset, payload)
        self.entries.append(entry)
        self.bytes += entry.size
        return entry

    def persist_held(self) -> int:
        """Write batches held in memory, oldest first, while the disk takes them; how many."""
        written = 0
        for position, entry in enumerate(self.entries):
            if entry.held is None:
                continue
            again = self._make(entry.path, entry.daemon_id, entry.seq, entry.offset, entry.held)
            if again.held is not None:
                break
            self.entries[position] = again
            written += 1
        return written

    @property
    def held(self) -> int:
        """Batches waiting in memory for the disk."""
        return sum(1 for entry in self.entries if entry.held is not None)

    def load(self, entry: SpoolEntry) -> bytes | None:
        """The payload of a spooled batch; ``None`` if it was damaged (it is then quarantined
        and forgotten)."""
        if entry.held is not None:
            return entry.held
        try:
            with open(entry.path, "rb") as handle:
                (length, _) = RECORD_HEADER.unpack(handle.read(RECORD_HEADER.size))
                handle.seek(length, 1)
                payload = handle.read()
            if zlib.crc32(payload) != entry.crc:
                raise Damaged("bad_checksum", "batch payload")
        except (Damaged, OSError, ValueError) as exc:
            self._forget(entry)
            self._quarantine(entry.path, getattr(exc, "reason", "unreadable"))
            return None
        return payload

    def _forget(self, entry: SpoolEntry) -> None:
        self.entries.remove(entry)
        self.bytes -= entry.size

    def remove(self, entry: SpoolEntry) -> None:
        """Forget a batch the tier acknowledged (or replaced by a compacted one)."""
        self._forget(entry)
        entry.path.unlink(missing_ok=True)

    def replace(self, old: list[SpoolEntry], daemon_id: str, seq: int, payload: bytes) -> SpoolEntry:
        """Put one (compacted) batch where the consecutive entries ``old`` were.

        It takes the first one's file name (an atomic rename over it), so the order holds;
        its header lists the other files, so a restart between the rename and their deletion
        deletes them then: their content is never sent twice.
        """
        offset = max(entry.offset for entry in old)
        entry = self._make(old[0].path, daemon_id, seq, offset, payload,
                           [gone.path.name for gone in old[1:]])
        position = self.entries.index(old[0])
        for gone in old:
            self._forget(gone)
            if gone is not old[0]:
                gone.path.unlink(missing_ok=True)
        self.entries.insert(position, entry)
        self.bytes += entry.size
        return entry

    @property
    def checkpoint_path(self) -> Path:
        return self.directory / "checkpoint"

    def save_checkpoint(self, offset: int) -> None:
        """Frames before journal ``offset`` are all in spooled (or acked) batches."""
        try:
            write_sealed(self.checkpoint_path, msgpack.packb({"offset": offset}), self.sync)
        except OSError:
            self.write_failures += 1  # replay then starts earlier; the client seqs skip repeats

    def replay_offset(self) -> int:
        """Where journal replay must start after a restart."""
        try:
            offset = msgpack.unpackb(read_sealed(self.checkpoint_path))["offset"]
        except FileNotFoundError:
            offset = 0
        except (Damaged, OSError, ValueError, KeyError, TypeError) as exc:
            self._quarantine(self.checkpoint_path, getattr(exc, "reason", "unreadable"))
            offset = 0
        if type(offset) is not int:
            offset = 0
        return max([offset] + [entry.offset for entry in self.entries])

