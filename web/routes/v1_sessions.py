"""``/api/v1/sessions``: filtered, cursor-paged sessions and their paged streams."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from ..jsonio import dumps, encoded_response, json_response
from ..offload import read
from ..params import int_param, session_query, time_param
from ..serialize import session_out
from ..timefmt import to_rfc3339
from ..views import list_page, session_state, session_with_state, stream_page

__all__ = ["bp", "MAX_STREAM_PAGE"]

#: Largest page of events, metric points or history entries.
MAX_STREAM_PAGE = 1000

bp = Blueprint("v1_sessions", url_prefix="/api/v1/sessions")


@bp.get("")
async def list_sessions(request: Request):
    """``?product&version&status&since&until&limit&cursor`` → ``{items, next_cursor}``."""
    page = await read(request, list_page, request.app.ctx.store, session_query(request))
    return json_response({"items": [session_out(s) for s in page.items],
                          "next_cursor": page.cursor})


@bp.get("/<sid:str>")
async def get(request: Request, sid: str):
    """One session with its current state."""
    return json_response(await read(request, session_with_state, request.app.ctx.store, sid))


async def _page(request: Request, stream: str, sid: str):
    start = int_param(request, "start", 0, 0, 2**62)
    limit = int_param(request, "limit", 100, 1, MAX_STREAM_PAGE)
    store = request.app.ctx.store
    return encoded_response(await read(request, lambda: dumps(stream_page(
        store, stream, sid, start, limit))))


@bp.get("/<sid:str>/events")
async def events(request: Request, sid: str):
    """``?start&limit`` → ``{items, next, total}``, oldest first."""
    return await _page(request, "events", sid)


@bp.get("/<sid:str>/metrics")
async def metrics(request: Request, sid: str):
    """Metric points (per-window aggregates), paged like events."""
    return await _page(request, "metrics", sid)


@bp.get("/<sid:str>/state/history")
async def history(request: Request, sid: str):
    """State patches in the order applied, paged like events."""
    return await _page(request, "history", sid)


@bp.get("/<sid:str>/state")
async def state(request: Request, sid: str):
    """The current state, or with ``?at=`` the state as it was at that time."""
    at = time_param(request, "at")
    state = await read(request, session_state, request.app.ctx.store, sid, at)
    return json_response({"at": to_rfc3339(at), "state": state})
