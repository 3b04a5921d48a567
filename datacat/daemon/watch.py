"""Crash, hang and suspend detection for the sessions a daemon serves.

``Watcher`` is fed every record the daemon receives and checked about once a second; both
return the records the daemon itself makes (``crash``, ``hang``, ``recover``, ``suspend``,
``wake``). Time and process state are injected, so the logic is tested without sleeping.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from msgspec import Raw

from ..protocol import OPEN_FIELD, ROW, Kind, ProtocolError, record_as_dict, row_record
from .probe import ProcessProbe, ProcState, read_fault_file

__all__ = ["Watcher", "Watched", "LAST_EVENTS", "UNWATCHED_KINDS"]

LAST_EVENTS = 50
NOTHING = ()  # what most records make: no lifecycle record
# kinds as plain ints: comparing with an int costs a fifth of an enum member's lookup
_OPEN, _EVENT, _BEAT, _STACKS, _PAUSE, _RESUME = (
    Kind.OPEN.value, Kind.EVENT.value, Kind.BEAT.value, Kind.STACKS.value, Kind.PAUSE.value,
    Kind.RESUME.value)
_ENDS = frozenset({Kind.END.value, Kind.CRASH.value})
#: Kinds ``Watcher.on_record`` makes nothing of (a caller may skip the call for them).
UNWATCHED_KINDS = frozenset({Kind.STATE.value, Kind.METRIC.value})


@dataclass
class Watched:
    """One session whose process the daemon watches."""

    sid: str
    pid: int
    start_time: float
    hang_timeout: float
    fault_file: str | None = None
    armed: bool = False
    paused: bool = False
    last_beat: float = 0.0  # daemon monotonic time; moved forward over time that must not count
    hang_start: float | None = None  # wall time the current hang began
    stopped_since: float | None = None  # wall time the process was seen stopped
    stacks: dict | None = None
    beat_ts: float | None = None  # the client's time of the last beat
    paused_since_beat: bool = False  # detection was paused at some point since that beat
    excused_at: float | None = None  # last wall time the process was seen stopped, traced or asleep
    events: deque = field(default_factory=lambda: deque(maxlen=LAST_EVENTS))

    def last_events(self) -> list[dict]:
        """The last ``LAST_EVENTS`` events, oldest first, as maps (rows are decoded here,
        and one that is not a valid event record is left out, as the tier leaves it out)."""
        events = []
        for record in self.events:
            if type(record) is Raw:
                try:
                    record = row_record(record)
                except ProtocolError:
                    continue
            events.append(record_as_dict(record) if isinstance(record, list) else record)
        return events

    def to_dict(self) -> dict:
        return {"sid": self.sid, "pid": self.pid, "start_time": self.start_time,
                "hang_timeout": self.hang_timeout, "fault_file": self.fault_file,
                "armed": self.armed, "paused": self.paused, "events": self.last_events()}

    @classmethod
    def from_dict(cls, data: dict, now: float) -> Watched:
        events = data.pop("events", [])
        watched = cls(**data, last_beat=now)
        watched.events.extend(events)
        return watched


class Watcher:
    """Turns what sessions send, and what their processes do, into lifecycle records."""

    def __init__(self, probe: ProcessProbe | None = None,
                 state_of: Callable[[str], dict] = lambda sid: {},
                 wall: Callable[[], float] = time.time):
        self.probe = probe or ProcessProbe()
        self.sessions: dict[str, Watched] = {}
        self._state_of = state_of
        self._wall = wall
        self.changed = False  # the persisted registry is out of date
        self._faults: dict[str, tuple | None] = {}  # one process's fault file, read once

    def on_record(self, record: list, now: float) -> list | tuple:
        """Note one client record (``now``: daemon monotonic time); returns records to add
        (most often ``NOTHING``, which costs no allocation)."""
        kind, sid = record[0], record[1]
        if kind in UNWATCHED_KINDS:
            return NOTHING
        if kind == _OPEN:
            pid, start_time = record[OPEN_FIELD["pid"]], record[OPEN_FIELD["start_time"]]
            hang_timeout = record[OPEN_FIELD["hang_timeout"]]
            fault_file = record[OPEN_FIELD["fault_file"]]
            self.sessions[sid] = Watched(sid, pid, start_time, hang_timeout or 60.0, fault_file,
                                         last_beat=now)
            self.changed = True
            return NOTHING
        watched = self.sessions.get(sid)
        if watched is None:
            return NOTHING
        if kind == ROW:  # a copy: the row's bytes are a view of its whole frame
            watched.events.append(record[3].copy())
        elif kind == _EVENT:
            watched.events.append(record)  # named only if a crash report needs it
        elif kind == _BEAT:
            return self._beat(watched, now, record[2])
        elif kind == _STACKS:
            watched.stacks = record[3]
        elif kind == _PAUSE:
            watched.paused = watched.paused_since_beat = True
        elif kind == _RESUME:
            watched.paused, watched.last_beat = False, now
        elif kind in _ENDS:
            del self.sessions[sid]
            self.changed = True
        return NOTHING

    def _beat(self, watched: Watched, now: float, ts: float) -> list:
        previous, paused, stacks = watched.beat_ts, watched.paused_since_beat, watched.stacks
        watched.armed, watched.last_beat, watched.stacks = True, now, None
        watched.beat_ts, watched.paused_since_beat = ts, False
        if watched.hang_start is None:
            return [] if paused else self._missed_hang(watched, previous, ts, stacks)
        wall = self._wall()
        duration = wall - watched.hang_start
        watched.hang_start = None
        return [[Kind.RECOVER, watched.sid, wall, {"hang_duration": duration}]]

    @staticmethod
    def _missed_hang(watched: Watched, previous: float | None, ts: float,
                     stacks: dict | None) -> list:
        """A hang the checks did not see live (the daemon was busy), told by the beats' own times.

        A gap the daemon saw the process stopped, traced or asleep in is excused. That is
        judged by wall time, not by the order records arrive in: a beat sent just before a
        stop can reach the daemon after the stop was seen.
        """
        if previous is None or watched.paused or ts - previous <= watched.hang_timeout:
            return []
        if watched.excused_at is not None and watched.excused_at >= previous:
            return []
        start = previous + watched.hang_timeout
        detail = {"timeout": watched.hang_timeout, "since_last_beat": ts - previous}
        if stacks:
            detail["stacks"] = stacks
        return [[Kind.HANG, watched.sid, start, detail],
                [Kind.RECOVER, watched.sid, ts, {"hang_duration": ts - start}]]

    def check(self, now: float, slept: float = 0.0) -> list:
        """Probe every process (``slept``: seconds the machine was suspended since the last check)."""
        wall = self._wall()
        records: list = []
        self._faults.clear()
        for watched in list(self.sessions.values()):
            if slept > 0:
                watched.last_beat += slept
                watched.excused_at = wall
                records.append([Kind.SUSPEND, watched.sid, wall - slept, {"cause": "sleep"}])
                records.append([Kind.WAKE, watched.sid, wall, {"cause": "sleep",
                                                               "duration": slept}])
            state = self.probe.state(watched.pid, watched.start_time)
            if state is ProcState.GONE:
                records.append(self._crash(watched, wall))
                continue
            records.extend(self._stopped_or_hung(watched, state, now, wall))
        return records

    def _stopped_or_hung(self, watched: Watched, state: ProcState, now: float, wall: float) -> list:
        if state is ProcState.STOPPED:
            watched.last_beat, watched.excused_at = now, wall
            if watched.stopped_since is None:
                watched.stopped_since = wall
                return [[Kind.SUSPEND, watched.sid, wall, {"cause": "stopped"}]]
            return []
        if state is ProcState.TRACED:  # a debugger holds it: waiting is not hanging
            watched.last_beat, watched.excused_at = now, wall
        if watched.stopped_since is not None:
            duration, watched.stopped_since = wall - watched.stopped_since, None
            return [[Kind.WAKE, watched.sid, wall, {"cause": "stopped", "duration": duration}]]
        late = now - watched.last_beat
        if watched.armed and not watched.paused and watched.hang_start is None \
                and late > watched.hang_timeout:
            watched.hang_start = wall - late + watched.hang_timeout
            detail = {"timeout": watched.hang_timeout, "since_last_beat": late}
            if watched.stacks:
                detail["stacks"] = watched.stacks
            return [[Kind.HANG, watched.sid, watched.hang_start, detail]]
        return []

    def _crash(self, watched: Watched, wall: float) -> list:
        del self.sessions[watched.sid]
        self.changed = True
        detail = {"pid": watched.pid, "state": self._state_of(watched.sid),
                  "events": watched.last_events()}
        if watched.fault_file not in self._faults:
            self._faults[watched.fault_file] = read_fault_file(watched.fault_file)
        fault = self._faults[watched.fault_file]
        if fault is not None:
            detail["traceback"], detail["signal"] = fault
            return [Kind.CRASH, watched.sid, wall, "fatal_signal", detail]
        return [Kind.CRASH, watched.sid, wall, "process_vanished", detail]
