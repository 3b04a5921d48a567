"""Typed settings for the web app (resolved by the CLI, or by ``python -m datacat.web``)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["WebSettings", "DEFAULT_MAX_BODY"]

#: Largest request body accepted (bytes); bigger requests get ``413``.
DEFAULT_MAX_BODY = 1024 * 1024


@dataclass(frozen=True)
class WebSettings:
    """Where the store is and where to listen.

    ``name`` is the Sanic app name (letters, digits, ``_`` and ``-``); it must be unique
    among the Sanic apps of one process.
    """

    store_url: str = "memory://"
    host: str = "127.0.0.1"
    port: int = 8080
    name: str = "datacat"
    max_body_bytes: int = DEFAULT_MAX_BODY
