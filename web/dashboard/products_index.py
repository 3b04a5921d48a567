"""``/products``: every product with its versions, their sessions and crash-free rates (in a
slice when ``tag``, ``state`` or ``machine`` is given)."""

from __future__ import annotations

from sanic.request import Request

from datacat.broker.issues import version_key

from ..offload import read
from ..release_health import health_out
from ..sliced_health import sliced_health
from ..slicing import Slice, parse_slice
from .blueprint import pages
from .render import render

__all__ = ["products_index"]


def _percent(fraction: float | None) -> float | None:
    return None if fraction is None else 100.0 * fraction


def products_index(rollups: list[dict]) -> list[dict]:
    """``[{product, sessions, machines, versions: [{version, sessions, machines,
    crash_free_sessions, crash_free_machines}]}]`` by product name, versions newest first;
    rates in percent (``None`` when there is nothing to divide by)."""
    products: dict[str, list[dict]] = {}
    for rollup in rollups:
        health = health_out(rollup)
        products.setdefault(rollup["product"], []).append({
            "version": rollup["version"], "sessions": rollup["total"],
            "machines": rollup["machines"],
            "crash_free_sessions": _percent(health["crash_free_sessions"]),
            "crash_free_machines": _percent(health["crash_free_machines"])})
    out = []
    for name in sorted(products):
        versions = sorted(products[name], key=lambda v: version_key(v["version"]), reverse=True)
        out.append({"product": name, "versions": versions,
                    "sessions": sum(v["sessions"] for v in versions)})
    return out


def _rollups(store, slice_: Slice) -> tuple[list[dict], dict | None]:
    """The write-time rollups, or those counted from the slice's sessions (and what
    examining them found)."""
    rollups = store.products()
    if not slice_:
        return rollups, None
    items, matched = sliced_health(store, slice_, sorted(
        (r["product"], r["version"]) for r in rollups))
    return items, matched.out()


@pages.get("/products")
async def products_page(request: Request):
    """The products index, from the store's write-time rollups or a slice's sessions."""
    slice_ = parse_slice(request.args)
    rollups, sliced = await read(request, _rollups, request.app.ctx.store, slice_)
    return render(request, "products.html", products=products_index(rollups), slice=slice_,
                  sliced=sliced)
