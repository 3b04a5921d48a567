"""``GET /health`` and the placeholder front page."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from sanic import Blueprint
from sanic.request import Request
from sanic.response import html

from ..jsonio import json_response

__all__ = ["bp", "VERSION"]

try:
    VERSION = version("datacat")
except PackageNotFoundError:  # running from a source tree that was never installed
    VERSION = "unknown"

bp = Blueprint("health")

# Static text only: nothing user-supplied is ever rendered here.
_INDEX = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>DataCat</title></head>
<body><h1>DataCat</h1>
<p>The dashboard is not built yet. The REST API:</p>
<ul>
<li><a href="/health">/health</a></li>
<li><a href="/api/v1/sessions">/api/v1/sessions</a></li>
<li><a href="/api/v1/products">/api/v1/products</a></li>
<li><a href="/api/data/sessions?limit=50">/api/data/sessions</a></li>
</ul></body></html>
"""


@bp.get("/health")
async def health(request: Request):
    """Liveness: answers as long as the server runs."""
    return json_response({"status": "healthy", "service": "datacat", "version": VERSION})


@bp.get("/")
async def index(request: Request):
    """A minimal page linking to the API (the dashboard comes later)."""
    return html(_INDEX)
