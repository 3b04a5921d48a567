"""One outcome per test from pytest's setup, call and teardown reports (for the pytest plugin)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["OUTCOMES", "TestResult", "summarise"]

OUTCOMES = ("passed", "failed", "skipped", "error", "xfailed", "xpassed")
_LEVELS = {"failed": "error", "error": "error", "xpassed": "warning"}


@dataclass
class TestResult:
    """What the ``test`` event of one test says."""

    nodeid: str
    outcome: str
    when: str
    duration: float
    message: str | None = None
    exception: dict | None = None

    @property
    def file(self) -> str:
        return self.nodeid.split("::", 1)[0]

    @property
    def level(self) -> str:
        return _LEVELS.get(self.outcome, "info")

    def data(self) -> dict:
        return {"nodeid": self.nodeid, "outcome": self.outcome, "duration": self.duration,
                "when": self.when}


def report_outcome(report) -> str:
    """The outcome one phase's report stands for (``passed`` when it decides nothing)."""
    xfail = hasattr(report, "wasxfail")
    if report.when == "call":
        if xfail and report.skipped:
            return "xfailed"
        if xfail and report.passed:
            return "xpassed"
        return report.outcome
    if report.failed:
        return "error" if report.when in ("setup", "teardown") else "failed"
    if report.skipped:
        return "xfailed" if xfail else "skipped"
    return "passed"


def summarise(nodeid: str, reports: list) -> TestResult:
    """The first phase that did not pass decides; durations add up over the phases."""
    duration = sum(getattr(report, "duration", 0.0) or 0.0 for report in reports)
    for report in reports:
        outcome = report_outcome(report)
        if outcome != "passed":
            result = TestResult(nodeid, outcome, report.when, duration)
            if report.failed:
                result.message, result.exception = _failure(report)
            return result
    return TestResult(nodeid, "passed", "call", duration)


def _failure(report) -> tuple[str, dict]:
    """The assertion message and pytest's traceback of a failed phase, as an ``exception`` map.

    Its ``fingerprint`` groups failures by test and exception type, whatever the message says.
    """
    text = report.longreprtext or ""
    crash = getattr(report.longrepr, "reprcrash", None)
    message = crash.message if crash is not None else (text.strip().splitlines() or [""])[-1]
    kind, sep, _ = message.partition(":")
    kind = kind if sep and " " not in kind else "Failure"
    exception = {"type": kind, "message": message, "stacktrace": text.splitlines(keepends=True),
                 "file": crash.path if crash is not None else None,
                 "line": crash.lineno if crash is not None else None,
                 "function": report.nodeid.rsplit("::", 1)[-1],
                 "fingerprint": ["pytest", report.nodeid, kind]}  # one issue per test and type
    return message, exception
