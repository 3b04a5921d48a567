"""``GET /api/v1/products``: sessions and machines per product and version, crash-free rates."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from ..jsonio import json_response
from ..offload import read

__all__ = ["bp"]

bp = Blueprint("v1_products", url_prefix="/api/v1/products")


def _share_without(part: int, whole: int) -> float | None:
    return None if whole <= 0 else max(0.0, 1.0 - part / whole)


@bp.get("")
async def products(request: Request):
    """``{"items": [{product, version, total, by_status, hung_sessions, machines,
    crashed_machines, hung_machines, crash_free_sessions, crash_free_machines,
    hang_free_sessions, hang_free_machines}]}`` from write-time rollups (see
    docs/dashboard.md for the rates)."""
    items = [dict(rollup, by_status={k: n for k, n in rollup["by_status"].items() if n},
                  crash_free_sessions=_share_without(rollup["by_status"].get("crashed", 0),
                                                     rollup["total"]),
                  crash_free_machines=_share_without(rollup["crashed_machines"],
                                                     rollup["machines"]),
                  hang_free_sessions=_share_without(rollup["hung_sessions"], rollup["total"]),
                  hang_free_machines=_share_without(rollup["hung_machines"],
                                                    rollup["machines"]))
             for rollup in await read(request, request.app.ctx.store.products)]
    items.sort(key=lambda rollup: (rollup["product"], rollup["version"]))
    return json_response({"items": items})
