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


def dashboard_of(request: Request) -> Dashboard:
    """The app's ``Dashboard``."""
    return request.app.ctx.dashboard


async def find_sessions(request: Request, dashboard: Dashboard, flt: SessionFilter, now: float,
                        page_size: int = PAGE_SIZE) -> Listing:
    """``list_sessions`` for ``flt`` in the read pool (with its deadline)."""
    expensive = dashboard.probes.tester(dashboard.store, flt.state, flt.event)
    return await read(request, list_sessions, dashboard.store, flt, now, expensive,
                      dashboard.listing_cache, page_size)
