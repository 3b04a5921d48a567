"""``GET /metrics``: the Prometheus exposition (text format; OpenMetrics if asked)."""

from __future__ import annotations

import asyncio

from sanic import Blueprint
from sanic.request import Request
from sanic.response import raw

from datacat.broker.store import Store
from datacat.control import ask

from ..metrics import Snapshot
from ..offload import read

__all__ = ["bp", "BROKER_WAIT"]

#: Seconds a scrape waits for the broker's counters (then ``datacat_broker_up 0``).
BROKER_WAIT = 0.5

bp = Blueprint("metrics")


def _store_part(store: Store) -> tuple[list, list, list, list]:
    return store.products(), store.daemons(), store.workers(), store.issues()


@bp.get("/metrics")
async def metrics(request: Request):
    """Computed now from the store's rollups and issues, daemon and worker records, and the
    broker's counters when ``broker_stats`` is configured."""
    app = request.app
    endpoint = getattr(app.ctx.settings, "broker_stats", None)
    rollups, daemons, workers, issues = await read(request, _store_part, app.ctx.store)
    broker = await asyncio.to_thread(ask, endpoint, {}, BROKER_WAIT) if endpoint else None
    snapshot = Snapshot(rollups, daemons, workers, broker, bool(endpoint), issues)
    body, content_type = app.ctx.metrics.expose(snapshot, request.headers.get("accept", ""))
    return raw(body, content_type=content_type)
