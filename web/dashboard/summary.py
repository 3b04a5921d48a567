"""``Summary``: the few fields of a session record the dashboard filters, sorts and counts by."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from datacat.broker.lifecycle import TERMINAL

__all__ = ["Summary", "summarize", "HANG_KINDS"]

#: Status filters beyond the stored statuses, and what each one keeps.
HANG_KINDS = {"ever_hung": "ever hung", "hung_recovered": "hung then recovered",
              "hung_crashed": "hung then crashed"}


@dataclass(slots=True)
class Summary:
    """One session as the dashboard lists and counts it."""

    id: str
    product: str
    version: str
    status: str
    reason: str | None
    created: float
    ended: float | None
    seen: float
    hostname: str
    machine: str
    events: int
    metrics: int
    hangs: int
    hang_start: float | None
    hang_recovered: bool
    hang_crashed: bool
    tags: dict

    @property
    def live(self) -> bool:
        """Not ended or crashed: its record may still change."""
        return self.status not in TERMINAL

    @property
    def incident(self) -> float | None:
        """When it crashed, or when its last hang started; ``None`` for neither."""
        if self.status == "crashed":
            return self.ended or self.seen
        return self.hang_start

    def duration(self, now: float) -> float:
        """Seconds from start to end (to ``now`` while it runs, else to its last sign of life)."""
        if self.ended is not None:
            end = self.ended
        else:
            end = now if self.status in ("active", "hung") else self.seen
        return max(0.0, end - self.created)

    def kind(self, name: str) -> bool:
        """Whether this session has status ``name`` or is of hang kind ``name``."""
        if name == "ever_hung":
            return self.hangs > 0
        if name == "hung_recovered":
            return self.hang_recovered
        if name == "hung_crashed":
            return self.hang_crashed
        return self.status == name


def _text(value, default: str = "") -> str:
    """A label as an interned string: sessions share a few products, versions and hosts."""
    return sys.intern(str(value)) if value else default


def _number(value, default: float = 0.0) -> float:
    return float(value) if isinstance(value, (int, float)) else default


def summarize(record: dict) -> Summary:
    """The ``Summary`` of a stored session record (tolerates missing or odd fields)."""
    created = _number(record.get("created_at"))
    ended = record.get("ended_at")
    ended = float(ended) if isinstance(ended, (int, float)) else None
    hangs = [h for h in record.get("hangs") or () if isinstance(h, dict)]
    status = str(record.get("status") or "active")
    last_end = hangs[-1].get("end") if hangs else None
    crashed_in_hang = status == "crashed" and bool(hangs) and (last_end is None or last_end == ended)
    recovered = any(h.get("end") is not None and h.get("end") != ended for h in hangs)
    seen = max(_number(record.get("updated_at"), created), _number(record.get("last_heartbeat")))
    return Summary(
        id=str(record["id"]), product=_text(record.get("product"), "unknown"),
        version=_text(record.get("version"), "unknown"), status=_text(status),
        reason=_text(record.get("reason")) or None, created=created, ended=ended, seen=seen,
        hostname=_text(record.get("hostname")), machine=_text(record.get("machine_id")),
        events=int(_number(record.get("event_count"))),
        metrics=int(_number(record.get("metric_count"))), hangs=len(hangs),
        hang_start=_number(hangs[-1].get("start")) if hangs else None,
        hang_recovered=recovered, hang_crashed=crashed_in_hang,
        tags=record["tags"] if isinstance(record.get("tags"), dict) else {})
