"""The crash report of a crashed session: reason, traceback, last events and last state."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..figures import CRASH_EVENT

__all__ = ["CrashReport", "crash_report", "traceback_text", "exception_text", "LAST_EVENTS"]

#: Events shown before the crash.
LAST_EVENTS = 15


@dataclass
class CrashReport:
    """What the page shows; ``python`` and ``native`` are traceback texts (may be empty)."""

    reason: str
    ts: float | None
    exception: dict = field(default_factory=dict)
    python: str = ""
    native: str = ""
    signal: str | None = None
    events: list[dict] = field(default_factory=list)
    state: dict | None = None


def traceback_text(value) -> str:
    """A traceback given as lines (Python's ``format_exception``) or as one text."""
    if isinstance(value, (list, tuple)):
        return "".join(str(line) if str(line).endswith("\n") else f"{line}\n" for line in value)
    return "" if value is None else str(value)


def exception_text(exception) -> str:
    """An exception map as text: its traceback, or ``type: message`` without one."""
    if not isinstance(exception, dict):
        return "" if exception is None else str(exception)
    return traceback_text(exception.get("stacktrace")) or (
        f"{exception.get('type') or 'exception'}: {exception.get('message') or ''}")


def crash_report(session: dict, events: list[dict], final_state: dict) -> CrashReport | None:
    """The report of ``session`` from its last ``events`` (oldest first); ``None`` unless crashed.

    Uses the ``session_crashed`` event's data (exception, native traceback, last events and
    state captured at the crash) and falls back to the last exception event before it,
    the events before it and the final state.
    """
    if session.get("status") != "crashed":
        return None
    position = next((i for i in range(len(events) - 1, -1, -1)
                     if events[i].get("name") == CRASH_EVENT), None)
    crash = events[position] if position is not None else {}
    before = events[:position] if position is not None else events
    data = crash.get("data") if isinstance(crash.get("data"), dict) else {}
    exception = data.get("exception") if isinstance(data.get("exception"), dict) else None
    if exception is None:
        exception = next((e["exception"] for e in reversed(before)
                          if isinstance(e.get("exception"), dict)), {})
    captured = data.get("events")
    last = captured if isinstance(captured, list) and captured else before[-LAST_EVENTS:]
    state = data.get("state") if isinstance(data.get("state"), dict) else final_state
    return CrashReport(
        reason=str(session.get("reason") or data.get("reason") or "unknown"),
        ts=session.get("ended_at") or crash.get("ts"), exception=exception,
        python=traceback_text(exception.get("stacktrace")), native=traceback_text(data.get("traceback")),
        signal=data.get("signal"), events=[e for e in last if isinstance(e, dict)][-LAST_EVENTS:],
        state=state)
