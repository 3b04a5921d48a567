"""``GET /api/v1/products``: sessions and machines per product and version, crash-free rates."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from ..jsonio import json_response
from ..offload import read
from ..release_health import health_out

__all__ = ["bp"]

bp = Blueprint("v1_products", url_prefix="/api/v1/products")


@bp.get("")
async def products(request: Request):
    """``{"items": [{product, version, total, by_status, hung_sessions, machines,
    crashed_machines, hung_machines, crash_free_sessions, crash_free_machines,
    hang_free_sessions, hang_free_machines}]}`` from write-time rollups (see
    docs/dashboard.md for the rates)."""
    items = [health_out(rollup) for rollup in await read(request, request.app.ctx.store.products)]
    items.sort(key=lambda rollup: (rollup["product"], rollup["version"]))
    return json_response({"items": items})
