"""What the time-based reads count of a session, taken from its record, on every backend.

``Store.session_counts`` counts sessions by the hour or day they were created in (their
cohort), by status, with those that ever hung, their hang episodes and the distinct
machines that started them; ``Store.incidents``
lists sessions by their latest crash or hang; product rollups add the first session's
start, hang episodes and the median duration of ended sessions. A backend keeps them at
write time from the ``Facts`` of each session's record before and after a step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Facts", "facts", "HOUR", "DAY", "BUCKETS", "MAX_BUCKETS", "bucket_starts",
           "duration_bucket", "bucket_duration", "histogram_median", "incident_time"]

HOUR, DAY = 3600, 86400
#: The bucket widths ``session_counts`` answers for.
BUCKETS = (HOUR, DAY)
#: Most buckets one ``session_counts`` call may span.
MAX_BUCKETS = 10_000
#: Width of a duration histogram bucket (one-backend estimate): 1 % of the value.
_GROWTH = math.log(1.01)


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
        else None


def incident_time(session: dict) -> float | None:
    """When it crashed (its end), else when its latest hang started, else ``None``."""
    if session.get("status") == "crashed":
        return _number(session.get("ended_at")) or _number(session.get("updated_at"))
    hangs = session.get("hangs") or []
    last = hangs[-1] if hangs and isinstance(hangs[-1], dict) else {}
    return _number(last.get("start"))


@dataclass(frozen=True, slots=True)
class Facts:
    """A session's place in the time-based counts."""

    status: str
    product: str
    version: str
    created: float
    hangs: int
    first_hang: float | None
    duration: float | None
    incident: float | None
    machine: str

    @property
    def pair(self) -> tuple[str, str]:
        return self.product, self.version

    @property
    def identity(self) -> tuple[str, str, str]:
        """What the session indexes depend on: status, product, version."""
        return self.status, self.product, self.version


def facts(session: dict) -> Facts:
    """The ``Facts`` of a stored session record."""
    created = _number(session.get("created_at")) or 0.0
    ended = _number(session.get("ended_at"))
    hangs = [h for h in session.get("hangs") or () if isinstance(h, dict)]
    count = max(len(hangs), int(_number(session.get("hang_count")) or 0))
    machine = session.get("machine_id")
    return Facts(session["status"], session["product"], session["version"], created, count,
                 _number(hangs[0].get("start")) if hangs else None,
                 None if ended is None else max(0.0, ended - created), incident_time(session),
                 machine if isinstance(machine, str) else "")


def bucket_starts(bucket: int, since: float, until: float) -> range:
    """Start times of the ``bucket``-wide buckets that overlap ``since..until``.

    ``ValueError`` for a width not in ``BUCKETS`` or more than ``MAX_BUCKETS`` buckets.
    """
    if bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {BUCKETS}, not {bucket!r}")
    first, last = int(since // bucket) * bucket, int(until // bucket) * bucket
    if (last - first) // bucket + 1 > MAX_BUCKETS:
        raise ValueError(f"more than {MAX_BUCKETS} buckets of {bucket} s")
    return range(first, last + 1, bucket)


def duration_bucket(seconds: float) -> int:
    """The histogram bucket of a duration: buckets 1 % wide, from 1 ms (bucket 0) up."""
    return 0 if seconds <= 0.001 else 1 + int(math.log(seconds / 0.001) / _GROWTH)


def bucket_duration(bucket: int) -> float:
    """The middle of a duration bucket (within 0.5 % of any value in it)."""
    return 0.0 if bucket == 0 else 0.001 * math.exp((bucket - 0.5) * _GROWTH)


def histogram_median(histogram: dict) -> float | None:
    """The median of a ``{bucket: count}`` duration histogram (lower median), or ``None``."""
    total = sum(histogram.values())
    if not total:
        return None
    seen, rank = 0, (total + 1) // 2
    for bucket in sorted(histogram, key=int):
        seen += histogram[bucket]
        if seen >= rank:
            return bucket_duration(int(bucket))
    return None
