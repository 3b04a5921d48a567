"""Checksummed bytes on disk: whole files and length-prefixed records, with quarantine.

Every file the daemon owns is either one *sealed file* (``seal``: magic, CRC-32 and length
before the payload, written atomically) or a run of *sealed records* (``pack_record``: length
and CRC-32 before each payload). Damage raises ``Damaged`` with a reason; the caller moves the
damaged unit aside with ``quarantine`` and goes on with everything else.
"""

from __future__ import annotations

import logging
import os
import struct
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

__all__ = ["Damaged", "seal", "unseal", "write_atomically", "write_sealed", "read_sealed",
           "pack_record", "RECORD_HEADER", "check_record", "scan_records", "quarantine"]

log = logging.getLogger("datacat")

MAGIC = b"DCS1"
_FILE_HEADER = struct.Struct("<4sII")  # magic, crc32, payload length
RECORD_HEADER = struct.Struct("<II")  # payload length, crc32


class Damaged(ValueError):
    """Bytes on disk that fail their checksum or framing; ``reason`` names how."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def seal(payload: bytes) -> bytes:
    """``payload`` behind a header that lets ``unseal`` prove it whole."""
    return _FILE_HEADER.pack(MAGIC, zlib.crc32(payload), len(payload)) + payload


def unseal(data: bytes) -> bytes:
    """The payload of ``seal``'s output; ``Damaged`` if anything is off."""
    if len(data) < _FILE_HEADER.size:
        raise Damaged("truncated", f"{len(data)} bytes")
    magic, crc, length = _FILE_HEADER.unpack_from(data)
    if magic != MAGIC:
        raise Damaged("bad_magic")
    payload = data[_FILE_HEADER.size:]
    if len(payload) != length:
        raise Damaged("truncated" if len(payload) < length else "trailing_bytes",
                      f"{len(payload)} of {length} bytes")
    if zlib.crc32(payload) != crc:
        raise Damaged("bad_checksum")
    return payload


def write_atomically(path: Path, data: bytes, sync: bool = True) -> None:
    """Write ``data`` to ``path`` through a temp file renamed over it; raises ``OSError``."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            if sync:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_sealed(path: Path, payload: bytes, sync: bool = True) -> None:
    """Write ``seal(payload)`` to ``path`` atomically."""
    write_atomically(path, seal(payload), sync)


def read_sealed(path: Path) -> bytes:
    """The payload of a file ``write_sealed`` wrote; ``Damaged`` or ``OSError`` otherwise."""
    return unseal(path.read_bytes())


def pack_record(payload: bytes) -> bytes:
    """One sealed record: ``[u32 length][u32 crc32][payload]``."""
    return RECORD_HEADER.pack(len(payload), zlib.crc32(payload)) + payload


def check_record(header: bytes, payload: bytes) -> bytes:
    """``payload`` if it matches the ``RECORD_HEADER`` before it; ``Damaged`` otherwise."""
    length, crc = RECORD_HEADER.unpack(header)
    if len(payload) != length:
        raise Damaged("truncated", f"{len(payload)} of {length} bytes")
    if zlib.crc32(payload) != crc:
        raise Damaged("bad_checksum")
    return payload


def scan_records(data: bytes, start: int = 0) -> Iterator[tuple[bytes | None, int, str]]:
    """Walk a run of sealed records from ``start``: ``(payload, 0, "")`` for each whole one,
    ``(None, skipped bytes, reason)`` for damage, after which it resynchronises on the next
    position holding a record that passes its checksum (``torn_tail``: an unfinished last one).
    """
    view, end, position = memoryview(data), len(data), start
    while position < end:
        payload = _record_at(view, position)
        if payload is not None:
            yield bytes(payload), 0, ""
            position += RECORD_HEADER.size + len(payload)
            continue
        following = _resync(view, position + 1)
        reason = "torn_tail" if following == end and _torn(view, position) else "bad_checksum"
        yield None, following - position, reason
        position = following


def _record_at(view: memoryview, position: int) -> memoryview | None:
    """The payload of a whole record at ``position`` (never an empty one), else ``None``."""
    if len(view) - position < RECORD_HEADER.size:
        return None
    length, crc = RECORD_HEADER.unpack_from(view, position)
    start = position + RECORD_HEADER.size
    if length == 0 or start + length > len(view):
        return None
    payload = view[start:start + length]
    return payload if zlib.crc32(payload) == crc else None


def _resync(view: memoryview, position: int) -> int:
    limit = len(view) - RECORD_HEADER.size
    while position <= limit:
        if _record_at(view, position) is not None:
            return position
        position += 1
    return len(view)


def _torn(view: memoryview, position: int) -> bool:
    """A header whose record runs past the end: the write a kill interrupted."""
    if len(view) - position < RECORD_HEADER.size:
        return True
    length, _ = RECORD_HEADER.unpack_from(view, position)
    return position + RECORD_HEADER.size + length > len(view)


def quarantine(path: Path, reason: str) -> Path | None:
    """Move a damaged ``path`` into ``quarantine/`` beside it and log it once; the new path.

    ``None`` when it could not be moved (then it is deleted, so it cannot stop the daemon again).
    """
    target_dir = path.parent / "quarantine"
    target = target_dir / f"{path.name}.{int(time.time())}.{reason}"
    try:
        target_dir.mkdir(mode=0o700, exist_ok=True)
        os.replace(path, target)
    except OSError:
        log.error("cannot quarantine damaged %s (%s); deleting it", path, reason)
        path.unlink(missing_ok=True)
        return None
    log.error("quarantined damaged %s (%s) as %s", path, reason, target)
    return target
