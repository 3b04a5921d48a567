"""What the dashboard's scripts fetch: overview numbers, the cross-session metric, an instant."""

from __future__ import annotations

import time
from dataclasses import replace
from urllib.parse import unquote

from sanic.request import Request

from ..jsonio import json_response
from ..offload import read
from ..slicing import parse_slice
from .blueprint import api, dashboard_of, find_sessions
from .crossmetric import SAMPLE_SESSIONS, cross_metric, read_points
from .filters import parse_filter
from .instant import instant_for_change, instant_for_event
from .overview import overview
from .render import render, timing

__all__ = []


@api.get("/overview.json")
async def overview_json(request: Request):
    """The overview's numbers and figures, for ``Plotly.react`` without a reload."""
    data = await read(request, overview, request.app.ctx.store, time.time(),
                      parse_slice(request.args))
    return json_response(data, headers={"Cache-Control": "no-store", **timing(request)})


@api.get("/metric.json")
async def metric_json(request: Request):
    """One metric over the newest ``SAMPLE_SESSIONS`` sessions the sessions-page filter keeps."""
    dashboard = dashboard_of(request)
    flt = replace(parse_filter(request.args), cursor="", sort="created", order="desc")
    listing = await find_sessions(request, dashboard, flt, time.time(), SAMPLE_SESSIONS)
    points = await read(request, read_points, dashboard.store, listing.rows)
    data = cross_metric(points, request.args.get("metric") or "")
    return json_response(data, headers={"Cache-Control": "no-store", **timing(request)})


@api.get("/sessions/<sid:str>/instant")
async def instant(request: Request, sid: str):
    """An HTML fragment: the event or state change clicked on the timeline, with its diff."""
    store = request.app.ctx.store
    change, event = request.args.get("change") or "", request.args.get("event") or ""
    if not (change.isdigit() or event.isdigit()):
        return render(request, "instant.html", status=404, instant=None)
    find = instant_for_change if change.isdigit() else instant_for_event

    def found_instant():
        session = store.get_session(unquote(sid))
        return None if session is None else find(store, session, int(change or event))

    found = await read(request, found_instant)
    return render(request, "instant.html", status=200 if found else 404, instant=found)
