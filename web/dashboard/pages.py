"""The dashboard's HTML pages: ``/``, ``/sessions``, ``/sessions/{id}``, ``/products/{name}``."""

from __future__ import annotations

import time
from urllib.parse import unquote

from sanic.request import Request

from ..offload import read
from ..slicing import parse_slice
from .blueprint import dashboard_of, find_sessions, pages
from .events import event_query
from .filters import RANGES, SORTS, STATUS_CHOICES, parse_filter
from .listing import MAX_SCAN, SORT_CAP
from .overview import overview
from .product import product_page
from .render import render
from .session_page import session_page

__all__ = ["REFRESH_DEFAULT"]

#: Seconds between overview refreshes in the browser (``?refresh=`` may say 1 to 300).
REFRESH_DEFAULT = 5.0


def _refresh(request: Request) -> float:
    try:
        return min(300.0, max(1.0, float(request.args.get("refresh") or REFRESH_DEFAULT)))
    except ValueError:
        return REFRESH_DEFAULT


def not_found(request: Request, what: str):
    return render(request, "not_found.html", status=404, what=what)


@pages.get("/")
async def overview_page(request: Request):
    """Totals, sessions over time, rates per version, recent crashes and hangs; live."""
    slice_ = parse_slice(request.args)
    data = await read(request, overview, request.app.ctx.store, time.time(), slice_)
    return render(request, "overview.html", data=data, refresh=_refresh(request), slice=slice_,
                  sliced=data["sliced"])


@pages.get("/sessions")
async def sessions_page(request: Request):
    """The filtered, sorted, cursor-paged sessions table and the cross-session metric chart."""
    dashboard, now = dashboard_of(request), time.time()
    flt = parse_filter(request.args)
    listing = await find_sessions(request, dashboard, flt, now)
    pairs = [(r["product"], r["version"]) for r in await read(request, dashboard.store.products)
             if r["total"]]
    return render(request, "sessions.html", flt=flt, listing=listing, rows=listing.rows, now=now,
                  products=sorted({p for p, _ in pairs}),
                  versions=sorted(v for p, v in pairs if p == flt.product),
                  ranges=list(RANGES), sorts=SORTS, statuses=STATUS_CHOICES, sort_cap=SORT_CAP,
                  max_scan=MAX_SCAN)


@pages.get("/sessions/<sid:str>")
async def session_view(request: Request, sid: str):
    """Header, timeline, state, metrics, crash report and events of one session."""
    store, sid = request.app.ctx.store, unquote(sid)  # Sanic leaves path parameters quoted
    query, now = event_query(request.args), time.time()

    found = await read(request, session_page, store, sid, now, query)
    if found is None:
        return not_found(request, f"session {sid}")
    return render(request, "session.html", **found)


@pages.get("/products/<name:path>")
async def product_view(request: Request, name: str):
    """The versions of one product side by side."""
    dashboard, name = dashboard_of(request), unquote(name)
    context = await read(request, product_page, dashboard.store, name, dashboard.signatures,
                         time.time(), parse_slice(request.args))
    if context is None:
        return not_found(request, f"product {name}")
    return render(request, "product.html", **context)
