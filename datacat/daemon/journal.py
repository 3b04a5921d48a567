"""The daemon's frame journal: every accepted client frame, on disk within a group-commit window.

Append-only segment files of ``[u32 length][frame]`` records. Frames wait in memory for at
most the commit window, then go to disk in one write (and one ``fdatasync``). An *offset*
names a position: ``segment << 40 | byte``. After a restart the frames past the last batch's
offset are read back, in order, and batched again.
"""

from __future__ import annotations

import logging
import os
import struct
from collections.abc import Iterator
from pathlib import Path

__all__ = ["Journal"]

log = logging.getLogger("datacat.daemon.journal")

_LENGTH = struct.Struct("<I")
_SEGMENT_BITS = 40
SEGMENT_BYTES = 8 * 1024 * 1024


def _offset(segment: int, position: int) -> int:
    return segment << _SEGMENT_BITS | position


class Journal:
    """Owns ``journal-*.log`` in ``directory``; not thread-safe (the daemon loop uses it)."""

    def __init__(self, directory: Path, sync: bool = True, segment_bytes: int = SEGMENT_BYTES):
        self.directory = directory
        self.sync = sync
        self.segment_bytes = segment_bytes
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        segments = self._segments()
        self._segment = segments[-1] if segments else 1
        self._position = self._valid_length(self._path(self._segment))
        self._file = open(self._path(self._segment), "ab")  # noqa: SIM115 - owned until close
        self._file.truncate(self._position)  # drop a frame torn by a kill mid-write
        self._pending: list[bytes] = []
        self._pending_bytes = 0

    @staticmethod
    def _valid_length(path: Path) -> int:
        """Bytes of ``path`` that hold whole records."""
        if not path.exists():
            return 0
        position = 0
        with open(path, "rb") as handle:
            while len(header := handle.read(_LENGTH.size)) == _LENGTH.size:
                (length,) = _LENGTH.unpack(header)
                if len(handle.read(length)) < length:
                    break
                position += _LENGTH.size + length
        return position

    def _path(self, segment: int) -> Path:
        return self.directory / f"journal-{segment:08d}.log"

    def _segments(self) -> list[int]:
        return sorted(int(p.stem.split("-")[1]) for p in self.directory.glob("journal-*.log"))

    @property
    def end(self) -> int:
        """The offset after the last appended frame (committed or not)."""
        return _offset(self._segment, self._position + self._pending_bytes)

    @property
    def pending(self) -> int:
        """Frames appended but not yet on disk."""
        return len(self._pending)

    def append(self, frame: bytes) -> None:
        record = _LENGTH.pack(len(frame)) + frame
        self._pending.append(record)
        self._pending_bytes += len(record)

    def commit(self) -> None:
        """Write pending frames in one go; rotate to a new segment when this one is full."""
        if not self._pending:
            return
        self._file.write(b"".join(self._pending))
        self._file.flush()
        if self.sync:
            os.fdatasync(self._file.fileno())
        self._position += self._pending_bytes
        self._pending.clear()
        self._pending_bytes = 0
        if self._position >= self.segment_bytes:
            self._file.close()
            self._segment += 1
            self._file = open(self._path(self._segment), "ab")  # noqa: SIM115
            self._position = 0

    def replay(self, start: int) -> Iterator[bytes]:
        """Committed frames from offset ``start`` on, oldest first (a torn tail is skipped)."""
        first_segment, first_position = start >> _SEGMENT_BITS, start & ((1 << _SEGMENT_BITS) - 1)
        for segment in self._segments():
            if segment < first_segment:
                continue
            with open(self._path(segment), "rb") as handle:
                if segment == first_segment:
                    handle.seek(first_position)
                while header := handle.read(_LENGTH.size):
                    if len(header) < _LENGTH.size:
                        break
                    (length,) = _LENGTH.unpack(header)
                    frame = handle.read(length)
                    if len(frame) < length:
                        log.warning("journal segment %d ends in a torn frame", segment)
                        break
                    yield frame

    def truncate_before(self, offset: int) -> None:
        """Delete segments wholly before ``offset`` (everything in them is batched)."""
        for segment in self._segments():
            if segment < offset >> _SEGMENT_BITS and segment != self._segment:
                self._path(segment).unlink(missing_ok=True)

    def size(self) -> int:
        """Bytes on disk plus pending."""
        return sum(self._path(s).stat().st_size for s in self._segments()) + self._pending_bytes

    def close(self) -> None:
        """Commit what is pending and close; idempotent."""
        if self._file.closed:
            return
        self.commit()
        self._file.close()
