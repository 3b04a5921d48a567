"""``LoggingHandler``: standard ``logging`` records become session events."""

from __future__ import annotations

import logging

from .exceptions import describe_exception
from .session import Session

__all__ = ["LoggingHandler"]

_LEVELS = ((logging.CRITICAL, "critical"), (logging.ERROR, "error"), (logging.WARNING, "warning"),
           (logging.INFO, "info"), (logging.DEBUG, "debug"))


def level_name(levelno: int) -> str:
    """The event level for a ``logging`` level number."""
    return next((name for number, name in _LEVELS if levelno >= number), "debug")


class LoggingHandler(logging.Handler):
    """Logs each record as an event: level -> level, logger name -> category.

    A record with ``exc_info`` becomes an ``exception`` event that keeps the message.
    Without a ``session`` it uses the default one made by ``datacat.init``. Records of the
    SDK's own ``datacat`` loggers are skipped, and nothing here raises into the app.
    """

    def __init__(self, session: Session | None = None, level: int = logging.NOTSET):
        super().__init__(level)
        self.session = session

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if record.name == "datacat" or record.name.startswith("datacat."):
                return
            session = self.session
            if session is None:
                from .api import get_session

                session = get_session()
                if session is None:
                    return
            data = {"logger": record.name, "file": record.pathname, "line": record.lineno,
                    "function": record.funcName, "thread": record.threadName}
            exception = None
            if record.exc_info and record.exc_info[1] is not None:
                exception = describe_exception(record.exc_info[1])
            session.log_event("exception" if exception else "log", data,
                              level=level_name(record.levelno), category=record.name,
                              message=record.getMessage(), exception=exception)
        except Exception:  # noqa: BLE001 - a telemetry handler must never break logging
            pass
