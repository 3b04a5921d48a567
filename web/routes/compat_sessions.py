"""The original's session routes under ``/api/sessions`` (writes go through ``apply``)."""

from __future__ import annotations

import time

from sanic import Blueprint
from sanic.request import Request

from datacat.ids import uuid7

from .. import writes
from ..idempotency import Guard, Replay, guard_of
from ..jsonio import dumps, encoded_response, json_response, read_object
from ..offload import read
from ..views import full_session

__all__ = ["bp"]

bp = Blueprint("compat_sessions", url_prefix="/api/sessions")
_OK = {"status": "ok"}


async def _apply(request: Request, sid: str, part: dict, answer: dict, existing: bool = False,
                 guard: Guard | None = None):
    """Write one session part with the one write path, off the event loop; ``answer`` it.

    The write joins the app's next group commit (``web.group_commit``). With ``existing``
    an unknown session is a 404 and nothing is written. With an ``Idempotency-Key``
    (``guard``) the answer is stored with the write, or the stored one replayed.
    """
    if getattr(request.ctx, "long_numbers", True):
        writes.check_numbers(part)
    guard = guard or guard_of(request)
    hook = guard.before_write(answer) if guard else None
    try:
        await request.app.ctx.commit.write(sid, part, time.time(), existing, hook)
    except Replay as replay:
        return guard.replay(replay.answer)
    return json_response(answer)


async def _update(request: Request, sid: str, part: dict):
    """Apply ``part`` to an existing session; 404 for an unknown one."""
    return await _apply(request, sid, part, _OK, existing=True)


@bp.post("")
async def create(request: Request):
    """``{product, version, machine_id?, hostname?, tags?}`` → ``{"session_id"}``."""
    now = time.time()
    opened = writes.open_part(read_object(request), now)
    guard = guard_of(request)
    sid = guard.session_id() if guard else uuid7()  # a retry names the same session
    return await _apply(request, sid, {"open": opened}, {"session_id": sid}, guard=guard)


@bp.get("/<sid:str>")
async def get(request: Request, sid: str):
    """The session with state, state history, events and metrics (each capped)."""
    store = request.app.ctx.store
    return encoded_response(await read(request, lambda: dumps(full_session(store, sid))))


#: ``POST /api/sessions/{id}/<route>`` bodies that become one item of a batch list:
#: a state patch (bare object or ``{"state", "timestamp"?}``), an event, a metric sample.
_ITEM_WRITES = {"state": writes.state_entry, "events": writes.event_record,
                "metrics": writes.metric_point}


def _item_route(field: str, build) -> None:
    async def write_item(request: Request, sid: str):
        item = build(read_object(request, required=True), time.time())
        return await _update(request, sid, {field: [item]})

    bp.add_route(write_item, f"/<sid:str>/{field}", methods=["POST"], name=field)


for _field, _build in _ITEM_WRITES.items():
    _item_route(_field, _build)


@bp.post("/<sid:str>/heartbeat")
async def heartbeat(request: Request, sid: str):
    """Record a heartbeat at the server's time."""
    read_object(request)
    return await _update(request, sid, {"beat": time.time()})


@bp.post("/<sid:str>/end")
async def end(request: Request, sid: str):
    """End the session cleanly (reason ``end``)."""
    read_object(request)
    return await _update(request, sid, {"lifecycle": [writes.end_record(time.time())]})


@bp.post("/<sid:str>/crash")
async def crash(request: Request, sid: str):
    """Mark the session crashed: ``{reason?}`` (default ``abnormal_termination``)."""
    record = writes.crash_record(read_object(request), time.time())
    return await _update(request, sid, {"lifecycle": [record]})
