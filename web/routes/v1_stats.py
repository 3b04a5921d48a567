"""``GET /api/v1/stats``: the pipeline's own counters (daemons, broker, ingest workers)."""

from __future__ import annotations

import asyncio

from sanic import Blueprint
from sanic.request import Request

from datacat.control import ask

from ..jsonio import json_response
from ..offload import read
from ..timefmt import to_rfc3339

__all__ = ["bp"]

bp = Blueprint("v1_stats", url_prefix="/api/v1/stats")

BROKER_TIMEOUT = 0.5


def _peer(record: dict) -> dict:
    """A daemon's or worker's last report, its time in RFC 3339 and ``watching`` as a count."""
    out = dict(record, last_seen=to_rfc3339(record.get("last_seen")))
    if "watching" in out:
        out["watching"] = len(out["watching"])
    return out


@bp.get("")
async def stats(request: Request):
    """Every daemon's and worker's last report, and the broker's counters when configured.

    Daemon stats: frames, records and bytes in, batches and bytes out, acks, resends,
    duplicates, rejects and drops by reason, spool bytes. Worker counters: batches, events,
    patches, duplicates, rejects by reason, lag. Broker: messages and bytes per side.
    """
    store = request.app.ctx.store
    endpoint = request.app.ctx.settings.broker_stats
    broker = None
    if endpoint:
        broker = await asyncio.to_thread(ask, endpoint, {}, BROKER_TIMEOUT)
    daemons, workers = await read(request, lambda: (store.daemons(), store.workers()))
    return json_response({
        "daemons": [_peer(d) for d in daemons],
        "workers": [_peer(w) for w in workers],
        "broker": broker if broker is not None else ({"error": "no answer"} if endpoint else None),
    })
