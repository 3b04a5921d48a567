"""Client-made identifiers: UUIDv7 (time-ordered, so ids sort by creation time)."""

from __future__ import annotations

import os
import time
import uuid

__all__ = ["uuid7", "uuid7_time"]


def uuid7(now_ns: int | None = None) -> str:
    """A random RFC 9562 UUIDv7 string whose first 48 bits are the Unix time in ms."""
    ms = (time.time_ns() if now_ns is None else now_ns) // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | (rand >> 68 & 0xFFF) << 64
    value |= 0b10 << 62 | rand & 0x3FFF_FFFF_FFFF_FFFF
    return str(uuid.UUID(int=value))


def uuid7_time(value: str) -> float:
    """The creation time (epoch seconds) encoded in a UUIDv7 string."""
    return (uuid.UUID(value).int >> 80) / 1000.0
