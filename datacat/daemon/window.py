"""Per-session flush windows: what the daemon does to records between two batches (pure).

State patches fold into the daemon's view of the session's state and leave as one diff
per window (nothing when nothing changed); metric samples aggregate per window; events
(as rows: their bytes, or the decoded record of a large one) and lifecycle records keep
their order.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from ..merge import deep_merge, diff
from ..protocol import LIFECYCLE_KINDS, RECORD_FIELDS, ROW, Kind, build_part

__all__ = ["SessionWindow", "Windows", "DEFAULT_BUCKETS"]

#: Histogram/timer upper bounds when the app gives none (a ``+Inf`` bucket is implied).
DEFAULT_BUCKETS = (1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
_OPEN_FIELDS = RECORD_FIELDS[Kind.OPEN]
_EVENT, _STATE, _METRIC, _BEAT, _OPEN = (Kind.EVENT.value, Kind.STATE.value, Kind.METRIC.value,
                                         Kind.BEAT.value, Kind.OPEN.value)
_ENDS = frozenset({Kind.END.value, Kind.CRASH.value})


@dataclass
class SessionWindow:
    """What one session sent since its last batch, plus the state the tier already has."""

    open: dict | None = None
    state: dict = field(default_factory=dict)
    sent_state: dict = field(default_factory=dict)
    state_ts: float | None = None
    rows: list = field(default_factory=list)  # event records: bytes, or decoded (large ones)
    metrics: dict = field(default_factory=dict)
    lifecycle: list = field(default_factory=list)
    beat: float | None = None
    ended: bool = False

    def part(self) -> dict | None:
        """This window's batch part (``None`` if there is nothing to send); resets the window."""
        state = None
        if self.state_ts is not None:
            patch = diff(self.sent_state, self.state)
            if patch:
                state = [[self.state_ts, patch]]
                self.sent_state = self.state
            self.state_ts = None
        metrics = [aggregate.point() for aggregate in self.metrics.values()]
        part = build_part(self.open, state, self.rows, metrics, self.beat, self.lifecycle)
        self.open, self.rows, self.metrics, self.beat, self.lifecycle = None, [], {}, None, []
        return part or None


class _Aggregate:
    """Samples of one metric series within one window."""

    __slots__ = ("name", "type", "unit", "tags", "t0", "ts", "count", "sum", "min", "max",
                 "last", "bounds", "counts")

    def __init__(self, name, mtype, unit, tags, ts, buckets):
        self.name, self.type, self.unit, self.tags = name, mtype, unit, tags
        self.t0 = self.ts = ts
        self.count, self.sum = 0, 0.0
        self.min = self.max = self.last = None
        if mtype in ("histogram", "timer"):
            numeric = buckets and all(isinstance(b, (int, float)) for b in buckets)
            self.bounds = tuple(sorted(set(buckets))) if numeric else DEFAULT_BUCKETS
            self.counts = [0] * (len(self.bounds) + 1)
        else:
            self.bounds = self.counts = None

    def add(self, ts: float, value: float) -> None:
        self.ts = ts
        self.count += 1
        self.sum += value
        self.last = value
        if self.min is None or value < self.min:
            self.min = value
        if self.max is None or value > self.max:
            self.max = value
        if self.counts is not None:
            self.counts[bisect.bisect_left(self.bounds, value)] += 1

    def point(self) -> dict:
        point = {"ts": self.ts, "t0": self.t0, "name": self.name, "type": self.type,
                 "count": self.count, "sum": self.sum, "min": self.min, "max": self.max,
                 "last": self.last}
        if self.unit is not None:
            point["unit"] = self.unit
        if self.tags:
            point["tags"] = self.tags
        if self.counts is not None:
            cumulative, running = [], 0
            for bound, count in zip(self.bounds + ("+Inf",), self.counts):
                running += count
                cumulative.append([bound, running])
            point["buckets"] = cumulative
        return point


#: A batch is built once the windows hold this many records or frames of this many bytes
#: (a quarter of the tier's batch limit, ``Limits.max_batch_bytes``, so a batch stays well
#: under it: a frame adds at most 4 MB).
MAX_RECORDS = 20_000
MAX_BYTES = 16 * 1024 * 1024


class Windows:
    """All sessions' windows; ``add`` takes validated records (and event rows, checked by
    the tier), ``build`` makes a batch body."""

    def __init__(self):
        self.sessions: dict[str, SessionWindow] = {}
        self.pending_records = 0
        #: the bytes of the frames folded in since the last build: a bound on the batch's size
        #: (rows are the frames' bytes; state coalesces, metric samples aggregate)
        self.pending_bytes = 0
        self.ended = 0  # sessions that ended since the last build: their windows are complete

    def full(self, records: int = MAX_RECORDS) -> bool:
        """Whether a batch is due for its size: ``records`` records (a burst goes out while
        it arrives) or ``MAX_BYTES`` of frames (no batch nears the tier's limit)."""
        return self.pending_records >= records or self.pending_bytes >= MAX_BYTES

    def add(self, record: list) -> None:
        kind, sid, ts = record[0], record[1], record[2]
        window = self.sessions.get(sid)
        if window is None:
            window = self.sessions[sid] = SessionWindow()
        self.pending_records += 1
        if kind == ROW:
            window.rows.append(record[3])
        elif kind == _STATE:
            window.state = deep_merge(window.state, record[3])
            window.state_ts = ts
        elif kind == _METRIC:
            _, _, _, name, value, mtype, unit, tags, buckets = record
            key = (name, mtype, unit, repr(sorted(tags.items())) if tags else None)
            aggregate = window.metrics.get(key)
            if aggregate is None:
                aggregate = window.metrics[key] = _Aggregate(name, mtype, unit, tags, ts, buckets)
            aggregate.add(ts, value)
        elif kind == _EVENT:
            window.rows.append(record)
        elif kind == _BEAT:
            window.beat = ts
        elif kind == _OPEN:
            window.open = dict(zip(_OPEN_FIELDS, record[3:]), ts=ts)
        elif kind in LIFECYCLE_KINDS:
            detail = dict(zip(RECORD_FIELDS[Kind(kind)], record[3:]))
            detail.update(detail.pop("detail", None) or {})
            window.lifecycle.append([kind, ts, detail])
            if kind in _ENDS and not window.ended:
                window.ended = True
                self.ended += 1

    def build(self) -> dict:
        """``{sid: part}`` for every session with something to send; forgets ended sessions."""
        parts = {}
        for sid, window in list(self.sessions.items()):
            part = window.part()
            if part is not None:
                parts[sid] = part
            if window.ended:
                del self.sessions[sid]
        self.pending_records = self.pending_bytes = self.ended = 0
        return parts
