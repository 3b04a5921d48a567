"""The dashboard's two blueprints, its start/stop listeners and the per-request clock."""

from __future__ import annotations

import time

from sanic import Blueprint, Sanic
from sanic.request import Request

from ..offload import read
from .filters import SessionFilter
from .listing import PAGE_SIZE, Listing, list_sessions
from .state import Dashboard

__all__ = ["pages", "api", "dashboard_of", "find_sessions"]

pages = Blueprint("dashboard_pages")
api = Blueprint("dashboard_api", url_prefix="/dashboard")


async def _clock(request: Request) -> None:
    request.ctx.started = time.perf_counter()


for _bp in (pages, api):
    _bp.middleware(_clock, "request")


@pages.after_server_start
async def _start(app: Sanic, _loop=None) -> None:
    # the store opens in ``before_server_start``: it is there by now
    app.ctx.dashboard = Dashboard(app.ctx.store)
    app.ctx.dashboard.start()


@pages.before_server_stop
async def _stop(app: Sanic, _loop=None) -> None:
    dashboard = getattr(app.ctx, "dashboard", None)
    if dashboard is not None:
        await dashboard.stop()


async def dashboard_of(request: Request) -> Dashboard:
    """The app's ``Dashboard`` once its index has been built (the first build may take a while)."""
    dashboard = request.app.ctx.dashboard
    await dashboard.ready.wait()
    return dashboard


async def find_sessions(request: Request, dashboard: Dashboard, flt: SessionFilter, now: float,
                        page_size: int = PAGE_SIZE) -> Listing:
    """``list_sessions`` for ``flt``: on the loop from the index alone, or in the read pool
    (with its deadline) when a state or event filter has to read the store."""
    expensive = dashboard.probes.tester(dashboard.store, flt.state, flt.event)
    args = (dashboard.index, flt, now, expensive, dashboard.listing_cache, page_size)
    return list_sessions(*args) if expensive is None else await read(request, list_sessions, *args)
