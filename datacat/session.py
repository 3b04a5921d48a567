"""``Session``: what an app calls. Every call adds one record's items to the queue and returns."""

from __future__ import annotations

import functools
import logging
import sys
import time
from types import TracebackType

from .exceptions import describe_exception
from .outbox import HEADS, PAD, WIDTH, record_items
from .protocol import Kind
from .transport import FRAME_RECORDS, Transport

__all__ = ["Session", "Timer", "NULL_TIMER"]

log = logging.getLogger("datacat")

_OPEN, _STATE, _EVENT, _METRIC = Kind.OPEN.value, Kind.STATE.value, Kind.EVENT.value, Kind.METRIC.value
_BEAT, _PAUSE, _RESUME, _END = Kind.BEAT.value, Kind.PAUSE.value, Kind.RESUME.value, Kind.END.value
_CRASH, _STACKS = Kind.CRASH.value, Kind.STACKS.value
_H4, _H9, _H10, _P = HEADS[4], HEADS[9], HEADS[10], PAD  # the hot paths' items (see outbox)
WAKE_ITEMS = FRAME_RECORDS * WIDTH  # a frame's worth of records queued wakes the flusher
DURABLE_LEVELS = frozenset({"error", "critical"})  # events written to the spill file at once
_now = time.time
_monotonic = time.monotonic


class Session:
    """One run of an application. Calls never block and never raise into the app.

    Ordinary records wait in memory for the flusher (at most its tick, 50 ms, and no longer
    once a frame's worth waits: the call that finds that many wakes it); durable ones
    (``open``, events at level error or critical, ``crash``, ``end``) are written with
    everything queued before them to the process's spill file before the call returns.

    Mutable arguments (patches, ``data``, ``tags``) are sent as they are when the
    flusher packs them, a few milliseconds later: pass fresh objects, don't mutate them.
    """

    __slots__ = ("id", "product", "version", "hang_timeout", "_transport", "_queue", "_capacity",
                 "_mark", "_ended", "_last_beat", "_paused", "_stacks_sent", "_on_end", "__weakref__")

    def __init__(self, session_id: str, product: str, version: str, transport: Transport,
                 hang_timeout: float = 60.0, on_end=None):
        self.id = session_id
        self.product = product
        self.version = version
        self.hang_timeout = hang_timeout
        self._transport = transport
        self._queue = transport.queue
        self._capacity = transport.capacity * WIDTH  # in items
        self._mark = min(WAKE_ITEMS, self._capacity)  # a longer queue wakes the flusher
        self._ended = False
        self._last_beat: float | None = None  # monotonic time of the last heartbeat
        self._paused = False
        self._stacks_sent = False
        self._on_end = on_end  # called once the session is closed (the SDK's bookkeeping)

    @property
    def ended(self) -> bool:
        """True once ``end`` (or a crash) closed the session."""
        return self._ended

    def _over_mark(self, items: tuple) -> bool:
        """A call that found ``_mark`` items queued: queue ``items`` unless the queue is full
        (then count a drop), and have the flusher take the queue now rather than at its next
        tick; calls go the short way again once it has (``rearm``). True if queued."""
        queued = len(self._queue) < self._capacity
        if queued:
            self._queue.extend(items)
        else:
            self._transport.dropped += 1
        if self._mark < self._capacity:
            self._mark = self._capacity
            self._transport.wake(self)
        return queued

    def rearm(self) -> None:
        """The flusher took the queue: the next ``WAKE_ITEMS`` wake it again (see ``_over_mark``)."""
        self._mark = min(WAKE_ITEMS, self._capacity)

    def _emit(self, fields: tuple) -> None:
        items = record_items(fields)
        if len(self._queue) < self._mark:
            self._queue.extend(items)
        else:
            self._over_mark(items)

    def update_state(self, patch: dict) -> None:
        """Deep-merge ``patch`` into the session's state; ``None`` values delete keys."""
        items = (_H4, _STATE, self.id, _now(), patch, _P, _P, _P, _P, _P, _P)
        if len(self._queue) < self._mark:
            self._queue.extend(items)
        else:
            self._over_mark(items)

    def log_event(self, name: str, data: dict | None = None, level: str = "info",
                  category: str | None = None, labels: tuple | list = (),
                  message: str | None = None, exception: dict | None = None) -> None:
        """Record that ``name`` happened, with optional structured ``data``.

        ``exception`` is a ``describe_exception`` map (what ``log_exception`` sends).
        """
        items = (_H10, _EVENT, self.id, _now(), name, level, category, labels, message, data,
                 exception)
        if len(self._queue) < self._mark:
            self._queue.extend(items)
        elif not self._over_mark(items):
            return
        if level in DURABLE_LEVELS:
            self._transport.persist()

    def log_metric(self, name: str, value: float, type: str = "gauge", unit: str | None = None,
                   tags: dict | None = None, buckets: tuple | list | None = None) -> None:
        """Record one sample; the daemon aggregates samples per flush window."""
        items = (_H9, _METRIC, self.id, _now(), name, value, type, unit, tags, buckets, _P)
        if len(self._queue) < self._mark:
            self._queue.extend(items)
        else:
            self._over_mark(items)

    def log_gauge(self, name: str, value: float, unit: str | None = None,
                  tags: dict | None = None) -> None:
        """A value that goes up and down (fps, memory)."""
        self.log_metric(name, value, "gauge", unit, tags)

    def log_counter(self, name: str, delta: float = 1, unit: str | None = None,
                    tags: dict | None = None) -> None:
        """Add ``delta`` to a running total."""
        self.log_metric(name, delta, "counter", unit, tags)

    def log_histogram(self, name: str, value: float, unit: str | None = None,
                      tags: dict | None = None, buckets: tuple | list | None = None) -> None:
        """One observation of a distribution (bucket upper bounds optional)."""
        self.log_metric(name, value, "histogram", unit, tags, buckets)

    def timer(self, name: str, tags: dict | None = None) -> Timer:
        """Time a block (``with``) or every call of a function (decorator), in milliseconds."""
        return Timer(self, name, tags)

    def log_exception(self, exc: BaseException | None = None, message: str | None = None,
                      level: str = "error", fingerprint: str | list | None = None) -> None:
        """Log ``exc`` (default: the exception being handled) as an ``exception`` event.

        ``fingerprint`` (a string or a list of strings) decides which issue it is grouped
        into, instead of its type and the app's own frames.
        """
        try:
            exc = exc if exc is not None else sys.exc_info()[1]
            if exc is None:
                return
            self.log_event("exception", None, level, "exception", (),
                           message or f"{type(exc).__name__}: {exc}",
                           describe_exception(exc, fingerprint))
        except Exception:  # noqa: BLE001 - never raise into the app
            log.debug("datacat: log_exception failed", exc_info=True)

    def heartbeat(self) -> None:
        """Tell the daemon this loop is alive; the first beat arms hang detection."""
        self._last_beat = _monotonic()
        self._stacks_sent = False
        self._emit((_BEAT, self.id, _now()))

    def pause_hang_detection(self) -> None:
        """Suspend hang detection around a known long operation."""
        self._paused = True
        self._emit((_PAUSE, self.id, _now()))

    def resume_hang_detection(self) -> None:
        """Re-arm hang detection after ``pause_hang_detection`` (the wait starts afresh)."""
        self._paused = False
        self._last_beat = _monotonic()
        self._stacks_sent = False
        self._emit((_RESUME, self.id, _now()))

    def beat_is_late(self, now: float) -> bool:
        """For the watchdog: armed, not paused, no stacks sent yet and half the timeout gone."""
        return (self._last_beat is not None and not self._paused and not self._stacks_sent
                and not self._ended and now - self._last_beat > self.hang_timeout / 2)

    def send_stacks(self, stacks: dict) -> None:
        """Send the watchdog's capture of every thread's stack (once per late beat)."""
        self._stacks_sent = True
        self._emit((_STACKS, self.id, _now(), stacks))

    def crash(self, reason: str, exc: BaseException | None = None) -> None:
        """End the session as crashed (the SDK calls this for an unhandled exception)."""
        if self._ended:
            return
        detail = {}
        if exc is not None:
            self.log_exception(exc, level="critical")
            detail["exception"] = describe_exception(exc)
        self._ended = True
        self._transport.add((_CRASH, self.id, _now(), reason, detail))
        self._transport.persist()
        self._closed()

    def flush(self, timeout: float = 2.0) -> bool:
        """Send what is queued; True once the daemon has it (False after ``timeout``)."""
        try:
            return self._transport.flush(timeout)
        except Exception:  # noqa: BLE001
            log.debug("datacat: flush failed", exc_info=True)
            return False

    def end(self, reason: str = "end", timeout: float = 2.0) -> bool:
        """End the session cleanly and flush; later calls are ignored. Idempotent."""
        if self._ended:
            return True
        self._ended = True
        self._transport.add((_END, self.id, _now(), reason))  # lifecycle: never dropped here
        self._transport.persist()
        self._closed()
        return self.flush(timeout)

    def _closed(self) -> None:
        if self._on_end is not None:
            try:
                self._on_end()
            except Exception:  # noqa: BLE001 - never raise into the app
                log.debug("datacat: end hook failed", exc_info=True)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, exc_type: type | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc is not None:
            self.log_exception(exc)
        self.end()


class Timer:
    """Context manager and decorator measuring with the monotonic clock."""

    __slots__ = ("_session", "_name", "_tags", "_start")

    def __init__(self, session: Session, name: str, tags: dict | None):
        self._session, self._name, self._tags = session, name, tags
        self._start = 0.0

    def __enter__(self) -> Timer:
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc_info) -> None:
        elapsed_ms = (time.perf_counter() - self._start) * 1000.0
        self._session.log_metric(self._name, elapsed_ms, "timer", "ms", self._tags)

    def __call__(self, func):
        @functools.wraps(func)
        def timed(*args, **kwargs):
            with Timer(self._session, self._name, self._tags):
                return func(*args, **kwargs)

        return timed


class _NullTimer:
    """What ``datacat.timer`` gives before ``init``: times nothing, breaks nothing."""

    def __enter__(self) -> _NullTimer:
        return self

    def __exit__(self, *exc_info) -> None:
        return None

    def __call__(self, func):
        return func


NULL_TIMER = _NullTimer()
