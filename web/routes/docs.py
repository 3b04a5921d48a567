"""``GET /openapi.json`` and ``GET /docs``: the API document and Swagger UI to explore it.

Swagger UI's files come from the installed ``swagger-ui-bundle`` package (never a CDN);
the page loads only this origin's scripts (no inline script).
"""

from __future__ import annotations

from pathlib import Path

from sanic import Blueprint
from sanic.request import Request
from sanic.response import file, html, text
from swagger_ui_bundle import swagger_ui_path

from ..jsonio import json_response

__all__ = ["bp", "ASSETS"]

#: Swagger UI files served under ``/docs/``.
ASSETS = {"swagger-ui.css": "text/css", "swagger-ui-bundle.js": "text/javascript"}
_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "object-src 'none'; frame-ancestors 'none'")
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>DataCat API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script><script src="/docs/init.js"></script>
</body></html>
"""
_INIT = """window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui",
  deepLinking: true, withCredentials: true});
"""

bp = Blueprint("docs")


@bp.get("/openapi.json")
async def openapi_json(request: Request):
    """The OpenAPI 3.0 document."""
    from ..openapi import spec  # the document reads limits from the route modules

    return json_response(spec())


@bp.get("/docs")
async def docs(request: Request):
    """Swagger UI for the document."""
    return html(_PAGE, headers={"Content-Security-Policy": _CSP})


@bp.get("/docs/init.js")
async def init_js(request: Request):
    return text(_INIT, content_type="text/javascript")


def _asset_route(name: str, content_type: str) -> None:
    path = Path(swagger_ui_path) / name

    async def asset(request: Request):
        return await file(path, mime_type=content_type, headers={"Cache-Control": "max-age=86400"})

    bp.add_route(asset, f"/docs/{name}", methods=["GET"], name=name.replace(".", "_").replace("-", "_"))


for _name, _type in ASSETS.items():
    _asset_route(_name, _type)
