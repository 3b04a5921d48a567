"""DataCat client SDK: session telemetry that never slows down or breaks the app.

    session = datacat.create_session("MyGame", "1.4.2")
    session.update_state({"level": 3})
    session.log_event("level_up", {"level": 3})
"""

from .api import SDK_VERSION, create_session, get_session, init, shutdown
from .logging_handler import LoggingHandler
from .session import NULL_TIMER, Session, Timer

__version__ = SDK_VERSION
__all__ = ["create_session", "init", "get_session", "shutdown", "Session", "Timer", "LoggingHandler",
           "update_state", "log_event", "log_metric", "log_gauge", "log_counter", "log_histogram",
           "log_exception", "heartbeat", "timer", "flush", "end"]


def _default_call(name: str, before_init=None):
    """``Session.<name>`` on the default session; before ``init`` it answers ``before_init``."""
    def call(*args, **kwargs):
        session = get_session()
        if session is not None:
            return getattr(session, name)(*args, **kwargs)
        return before_init

    call.__name__ = name
    call.__doc__ = f"``Session.{name}`` on the default session made by ``init`` (no-op before)."
    return call


update_state = _default_call("update_state")
log_event = _default_call("log_event")
log_metric = _default_call("log_metric")
log_gauge = _default_call("log_gauge")
log_counter = _default_call("log_counter")
log_histogram = _default_call("log_histogram")
log_exception = _default_call("log_exception")
heartbeat = _default_call("heartbeat")
timer = _default_call("timer", NULL_TIMER)  # still a context manager and decorator
flush = _default_call("flush", False)
end = _default_call("end", False)
