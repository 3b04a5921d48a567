"""``GET /api/v1/products``: session counts per product and version, by status."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from ..jsonio import json_response
from ..offload import read

__all__ = ["bp"]

bp = Blueprint("v1_products", url_prefix="/api/v1/products")


@bp.get("")
async def products(request: Request):
    """``{"items": [{product, version, total, by_status}]}`` from write-time rollups."""
    items = [dict(rollup, by_status={k: n for k, n in rollup["by_status"].items() if n})
             for rollup in await read(request, request.app.ctx.store.products)]
    items.sort(key=lambda rollup: (rollup["product"], rollup["version"]))
    return json_response({"items": items})
