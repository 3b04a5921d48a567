"""``GET /api/v1/products``: sessions and machines per product and version, crash-free rates;
for a slice (``tag``, ``state``, ``machine``), counted from the matching sessions."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from datacat.broker.store import Store

from ..jsonio import json_response
from ..offload import read
from ..params import bad_param
from ..release_health import health_out
from ..sliced_health import sliced_health
from ..slicing import Slice, request_slice

__all__ = ["bp"]

bp = Blueprint("v1_products", url_prefix="/api/v1/products")


def _products(store: Store, product: str | None, version: str | None, slice_: Slice) -> dict:
    rollups = {(r["product"], r["version"]): r for r in store.products()
               if product in (None, r["product"]) and version in (None, r["version"])}
    pairs = sorted(rollups)
    if not slice_:
        return {"items": [health_out(rollups[pair]) for pair in pairs]}
    items, matched = sliced_health(store, slice_, pairs, product, version)
    return {"items": items, "slice": slice_.out(), **matched.out()}


@bp.get("")
async def products(request: Request):
    """``?product&version&tag&state&machine`` → ``{"items": [{product, version, total,
    by_status, hung_sessions, machines, crashed_machines, hung_machines,
    crash_free_sessions, crash_free_machines, hang_free_sessions, hang_free_machines}]}``
    from write-time rollups; sliced, counted from the matching sessions (plus
    ``median_seconds``, ``slice``, ``examined``, ``sampled``). See docs/dashboard.md."""
    product = request.args.get("product") or None
    version = request.args.get("version") or None
    if version is not None and product is None:
        raise bad_param("version", "needs 'product'")
    body = await read(request, _products, request.app.ctx.store, product, version,
                      request_slice(request))
    return json_response(body)
