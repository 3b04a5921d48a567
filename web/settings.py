"""Typed settings for the web app (resolved by the CLI, or by ``python -m datacat.web``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["WebSettings", "DEFAULT_MAX_BODY"]

#: Largest request body accepted (bytes); bigger requests get ``413``.
DEFAULT_MAX_BODY = 1024 * 1024


@dataclass(frozen=True)
class WebSettings:
    """Where the store is, where to listen, and which API tokens to accept.

    ``name`` is the Sanic app name (letters, digits, ``_`` and ``-``); it must be unique
    among the Sanic apps of one process. ``tokens_file`` is the API token file
    (``datacat.web.auth``); ``None`` turns auth off, which only a loopback ``host`` allows.
    The ``read_*`` fields size the pool store reads run in (``web.offload``).
    """

    store_url: str = "memory://"
    host: str = "127.0.0.1"
    port: int = 8080
    name: str = "datacat"
    max_body_bytes: int = DEFAULT_MAX_BODY
    tokens_file: Path | None = None
    broker_stats: str | None = None  # the broker's counters endpoint, for /api/v1/stats
    read_threads: int = 4  # store reads that run at once (more wait for a free thread)
    read_timeout: float = 10.0  # seconds a read may take, queueing included, before a 503
