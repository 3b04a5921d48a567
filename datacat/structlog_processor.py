"""``StructlogProcessor``: structlog entries at or above a level become session events.

    structlog.configure(processors=[
        structlog.processors.add_log_level,
        datacat.structlog_processor.StructlogProcessor(level="warning"),
        structlog.processors.JSONRenderer(),
    ])

It needs nothing from structlog itself (``pip install datacat[structlog]`` brings structlog).
"""

from __future__ import annotations

import sys

from .exceptions import describe_exception
from .session import Session

__all__ = ["StructlogProcessor"]

_RANKS = {"debug": 10, "info": 20, "warning": 30, "error": 40, "critical": 50}
_ALIASES = {"warn": "warning", "err": "error", "exception": "error", "fatal": "critical",
            "msg": "info", "notset": "debug"}
_NOT_DATA = frozenset({"event", "level", "exc_info", "logger"})


def _level(name: str) -> str:
    name = str(name).lower()
    return _ALIASES.get(name, name if name in _RANKS else "info")


class StructlogProcessor:
    """A structlog processor that logs each entry at or above ``level`` as an event.

    ``event`` becomes the message, ``logger`` (when a processor added it) the category, the
    other keys the event's ``data``; ``exc_info`` makes it an ``exception`` event with the
    stack. Without a ``session`` it uses the default one made by ``datacat.init``. The entry
    passes on unchanged, and nothing here raises into the app.
    """

    def __init__(self, session: Session | None = None, level: str = "warning"):
        name = _ALIASES.get(str(level).lower(), str(level).lower())
        if name not in _RANKS:
            raise ValueError(f"level must be one of {', '.join(_RANKS)}, not {level!r}")
        self.session = session
        self.threshold = _RANKS[name]

    def __call__(self, logger, method_name: str, event_dict: dict) -> dict:
        try:
            level = _level(event_dict.get("level") or method_name)
            if _RANKS[level] >= self.threshold:
                self._log(level, method_name, event_dict)
        except Exception:  # noqa: BLE001 - telemetry must never break logging
            pass
        return event_dict

    def _log(self, level: str, method_name: str, event_dict: dict) -> None:
        session = self.session
        if session is None:
            from .api import get_session

            session = get_session()
            if session is None:
                return
        exception = _exception(event_dict.get("exc_info"), method_name)
        data = {key: value for key, value in event_dict.items() if key not in _NOT_DATA}
        event = event_dict.get("event")
        session.log_event("exception" if exception else "log", data, level=level,
                          category=event_dict.get("logger"),
                          message=None if event is None else str(event), exception=exception)


def _exception(exc_info, method_name: str) -> dict | None:
    """The exception an entry carries: ``exc_info=True`` (or ``log.exception``) means the current one."""
    if isinstance(exc_info, BaseException):
        return describe_exception(exc_info)
    if isinstance(exc_info, tuple) and len(exc_info) == 3 and exc_info[1] is not None:
        return describe_exception(exc_info[1])
    if exc_info is True or (exc_info is None and method_name == "exception"):
        current = sys.exc_info()[1]
        return describe_exception(current) if current is not None else None
    return None
