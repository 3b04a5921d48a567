"""``serve(settings)``: run the web app in this one process until SIGINT/SIGTERM."""

from __future__ import annotations

import logging
import sys

from datacat.broker.store import open_store

from .app import create_app
from .settings import WebSettings

__all__ = ["serve", "SWITCH_INTERVAL"]

#: Seconds a thread holds the GIL before another may take it (Python's default is 0.005):
#: with reads in worker threads, the event loop waits at most about this long per turn.
SWITCH_INTERVAL = 0.001

_SANIC_LOGGERS = ("sanic.root", "sanic.error", "sanic.access", "sanic.server", "sanic.websockets")


def _log_once() -> None:
    """Sanic's loggers get their own handlers and also propagate: leave only the root's."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(name)s %(levelname)s %(message)s")
    for name in _SANIC_LOGGERS:
        logging.getLogger(name).handlers.clear()


def serve(settings: WebSettings) -> None:
    """Serve the REST API on ``settings.host:settings.port``; returns once stopped.

    The store URL is checked first: ``ValueError`` (bad URL) or ``StoreError`` (cannot
    open) is raised before anything listens. Single process, no auto-reload: Sanic's
    SIGINT/SIGTERM handlers stop the loop, then ``after_server_stop`` closes the store.
    """
    open_store(settings.store_url).close()
    sys.setswitchinterval(SWITCH_INTERVAL)
    app = create_app(settings)
    _log_once()
    app.run(host=settings.host, port=settings.port, single_process=True,
            access_log=False, motd=False)
