"""``GET /health`` (the front page ``/`` is the dashboard's overview)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from sanic import Blueprint
from sanic.request import Request

from ..jsonio import json_response

__all__ = ["bp", "VERSION"]

try:
    VERSION = version("datacat")
except PackageNotFoundError:  # running from a source tree that was never installed
    VERSION = "unknown"

bp = Blueprint("health")


@bp.get("/health")
async def health(request: Request):
    """Liveness: answers as long as the server runs."""
    return json_response({"status": "healthy", "service": "datacat", "version": VERSION})

