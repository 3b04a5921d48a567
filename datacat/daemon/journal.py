"""The daemon's frame journal: every accepted client frame, on disk within a group-commit window.

Append-only segment files of sealed records (``datacat.sealed``: length and CRC-32 before
each frame). Frames wait in memory for at most the commit window, then go to disk in one
write (and one ``fdatasync``). An *offset* names a position: ``segment << 40 | byte``. After a
restart the frames past the last batch's offset are read back, in order, and batched again.

Damage costs only the damaged bytes: replay skips a record that fails its checksum and
resynchronises on the next one that passes. Each run writes a new segment, so nothing is ever
appended after damage. When the disk refuses a write, the frames stay pending (they are in
the daemon's windows anyway) until the disk takes them or a batch covers them.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from ..sealed import pack_record, scan_records

__all__ = ["Journal"]

log = logging.getLogger("datacat.daemon.journal")

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
        self.damage: Counter = Counter()  # bytes skipped in replay, by reason
        self.write_failures = 0
        self._failing = False
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        segments = self._segments()
        self._segment = (segments[-1] + 1) if segments else 1
        self._position = 0
        self._file = None  # opened at the first commit
        self._pending: list[bytes] = []
        self._pending_bytes = 0

    def _path(self, segment: int) -> Path:
        return self.directory / f"journal-{segment:08d}.log"

    def _segments(self) -> list[int]:
        segments = []
        for path in self.directory.glob("journal-*.log"):
            number = path.stem.split("-")[-1]
            if number.isdigit():
                segments.append(int(number))
        return sorted(segments)

    @property
    def end(self) -> int:
        """The offset after the last appended frame (committed or not)."""
        return _offset(self._segment, self._position + self._pending_bytes)

    @property
    def pending(self) -> int:
        """Frames appended but not yet on disk."""
        return len(self._pending)

    def append(self, frame: bytes) -> None:
        record = pack_record(frame)
        self._pending.append(record)
        self._pending_bytes += len(record)

    def commit(self) -> bool:
        """Write pending frames in one go; rotate when the segment is full.

        False if the disk refused (the frames stay pending; logged once per episode).
        """
        if not self._pending:
            return True
        data = b"".join(self._pending)
        try:
            if self._file is None:
                self._file = open(self._path(self._segment), "ab")  # noqa: SIM115 - owned
            self._file.write(data)
            self._file.flush()
            if self.sync:
                os.fdatasync(self._file.fileno())
        except OSError as exc:
            self._refused(exc)
            return False
        if self._failing:
            log.warning("the journal in %s takes writes again", self.directory)
            self._failing = False
        self._position += self._pending_bytes
        self._pending.clear()
        self._pending_bytes = 0
        if self._position >= self.segment_bytes:
            self._next_segment()
        return True

    def _refused(self, exc: OSError) -> None:
        if not self._failing:
            log.error("cannot write the journal in %s (%s): frames wait in memory",
                      self.directory, exc.strerror or exc)
        self.write_failures += 1
        self._failing = True
        self._next_segment()  # whatever part of the write landed stays behind, never appended to

    def _next_segment(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            except OSError:
                pass
        self._file = None
        self._segment += 1
        self._position = 0

    def covered(self) -> None:
        """A batch now holds every pending frame: stop trying to write them."""
        if self._pending and self._failing:
            self._pending.clear()
            self._pending_bytes = 0
            self._next_segment()

    def replay(self, start: int) -> Iterator[bytes]:
        """Committed frames from offset ``start`` on, oldest first; damage is skipped."""
        first_segment, first_position = start >> _SEGMENT_BITS, start & ((1 << _SEGMENT_BITS) - 1)
        for segment in self._segments():
            if segment < first_segment:
                continue
            try:
                data = self._path(segment).read_bytes()
            except OSError:
                log.warning("cannot read journal segment %d", segment, exc_info=True)
                continue
            begin = first_position if segment == first_segment else 0
            for frame, skipped, reason in scan_records(data, begin):
                if skipped:
                    self.damage[reason] += skipped
                    log.warning("journal segment %d: skipped %d damaged bytes (%s)",
                                segment, skipped, reason)
                if frame is not None:
                    yield frame

    def truncate_before(self, offset: int) -> None:
        """Delete segments wholly before ``offset`` (everything in them is batched)."""
        for segment in self._segments():
            if segment < offset >> _SEGMENT_BITS and segment != self._segment:
                self._path(segment).unlink(missing_ok=True)

    def size(self) -> int:
        """Bytes on disk plus pending."""
        total = self._pending_bytes
        for segment in self._segments():
            try:
                total += self._path(segment).stat().st_size
            except OSError:
                pass
        return total

    def close(self) -> None:
        """Commit what is pending and close; idempotent."""
        self.commit()
        if self._file is not None:
            self._file.close()
            self._file = None

