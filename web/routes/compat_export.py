"""``GET /api/data/sessions`` and its alias ``/api/grafana/sessions``: a JSON array."""

from __future__ import annotations

from dataclasses import replace
from itertools import chain, islice

from sanic import Blueprint
from sanic.request import Request

from ..jsonio import dumps, json_response
from ..offload import read
from ..params import session_query
from ..views import compat_sessions_with_state, list_page

__all__ = ["bp", "EXPORT_PAGE"]

#: Sessions read per store page while streaming a whole export.
EXPORT_PAGE = 200

bp = Blueprint("compat_export")


@bp.get("/api/data/sessions")
@bp.get("/api/grafana/sessions", name="grafana_sessions")
async def export(request: Request):
    """Every matching session (with state), newest first.

    With ``?limit=`` one page is returned and ``X-Next-Cursor`` names the next one;
    without it the whole set is streamed page by page. Filters as ``/api/v1/sessions``.
    """
    store = request.app.ctx.store
    limited = bool(request.args.get("limit"))
    query = session_query(request, default_limit=EXPORT_PAGE)
    page = await read(request, list_page, store, query)
    if limited:
        headers = {"X-Next-Cursor": page.cursor} if page.cursor else {}
        body = await read(request, compat_sessions_with_state, store, page.items)
        return json_response(body, headers=headers)
    rest = store.iter_sessions(replace(query, cursor=page.cursor)) if page.cursor else ()
    sessions = chain(page.items, rest)

    def next_chunk() -> str:
        return ",".join(map(dumps, compat_sessions_with_state(
            store, list(islice(sessions, EXPORT_PAGE)))))

    chunk = await read(request, next_chunk)  # a timeout here is still a clean 503
    response = await request.respond(content_type="application/json")
    await response.send("[")
    while chunk:
        await response.send(chunk)
        chunk = await read(request, next_chunk)  # past here a timeout cuts the stream short
        if chunk:
            chunk = "," + chunk
    await response.send("]")
    await response.eof()
