"""Timestamps in and out: epoch seconds inside, RFC 3339 UTC strings on the wire."""

from __future__ import annotations

import math
from datetime import UTC, datetime

__all__ = ["to_rfc3339", "parse_time"]

_MAX_SECONDS = 253402300799.0  # 9999-12-31T23:59:59Z


def to_rfc3339(ts: float | None) -> str | None:
    """``1700000000.5`` → ``"2023-11-14T22:13:20.500000Z"``; ``None`` stays ``None``.

    Microseconds round half to even, as ``datetime.fromtimestamp`` rounds them. The text
    of each whole second is kept (``_SECONDS``): a session's times share most of theirs.
    """
    if ts is None:
        return None
    try:
        fraction, whole = math.modf(ts)
        micros = round(fraction * 1e6)
        if micros >= 1_000_000:
            whole, micros = whole + 1, micros - 1_000_000
        elif micros < 0:
            whole, micros = whole - 1, micros + 1_000_000
        prefix = _SECONDS.get(whole)
        if prefix is None:
            if len(_SECONDS) >= _KEEP:
                _SECONDS.clear()
            prefix = _SECONDS[whole] = datetime.fromtimestamp(whole, UTC).isoformat()[:19]
    except (OverflowError, OSError, ValueError, TypeError):
        return None  # a corrupt client clock must not break a whole response
    return f"{prefix}.{micros:06d}Z"


#: Whole seconds → their text (at most ``_KEEP``, then started afresh).
_SECONDS: dict[float, str] = {}
_KEEP = 4096


def parse_time(value: object) -> float:
    """Epoch seconds from an RFC 3339 string, a numeric string or a number.

    A time without an offset is taken as UTC. Raises ``ValueError`` for anything else.
    """
    if isinstance(value, bool):
        raise ValueError("a boolean is not a time")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            seconds = float(text)
        except ValueError:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            seconds = moment.timestamp()
    else:
        raise ValueError("expected an RFC 3339 string or epoch seconds")
    if not (math.isfinite(seconds) and 0 <= seconds <= _MAX_SECONDS):
        raise ValueError("time must be between 1970 and 9999 (epoch seconds, not ms)")
    return seconds
