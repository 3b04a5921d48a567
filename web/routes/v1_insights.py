"""``GET /api/v1/series`` and ``GET /api/v1/annotations``: JSON for Grafana's Infinity."""

from __future__ import annotations

import time

from sanic import Blueprint
from sanic.request import Request

from datacat.broker.store.timeline import DAY, HOUR

from ..insights.annotations import KINDS
from ..insights.reading import read_annotations, read_series
from ..insights.series import MAX_POINTS, METRICS, auto_step, parse_step
from ..jsonio import json_response
from ..offload import read
from ..params import bad_param, int_param, time_param
from ..slicing import request_slice
from ..timefmt import to_rfc3339

__all__ = ["bp", "DEFAULT_SPAN", "MAX_ANNOTATIONS"]

#: The range when ``from`` is absent: the day before ``to``.
DEFAULT_SPAN = 86400.0
MAX_ANNOTATIONS = 5000

bp = Blueprint("v1_insights", url_prefix="/api/v1")


def _window(request: Request) -> tuple[float, float]:
    end = time_param(request, "to")
    end = time.time() if end is None else end
    start = time_param(request, "from")
    start = max(0.0, end - DEFAULT_SPAN) if start is None else start
    if start > end:
        raise bad_param("to", "is before 'from'")
    return start, end


def _filters(request: Request) -> tuple[str | None, str | None]:
    return request.args.get("product") or None, request.args.get("version") or None


@bp.get("/series")
async def series(request: Request):
    """``?metric&product&version&from&to&step`` → ``{metric, step, columns, rows}``."""
    metric = request.args.get("metric") or "sessions"
    if metric not in METRICS:
        raise bad_param("metric", f"must be one of {', '.join(METRICS)}")
    start, end = _window(request)
    raw_step = request.args.get("step")
    try:
        step = parse_step(raw_step) if raw_step else auto_step(end - start)
    except ValueError as exc:
        raise bad_param("step", str(exc)) from None
    if (end - start) / step > MAX_POINTS:
        raise bad_param("step", f"gives more than {MAX_POINTS} rows for this range")
    if metric == "adoption_machines" and step % HOUR == 0 and step not in (HOUR, DAY):
        raise bad_param("step", "must be 1h, 1d or less than an hour for adoption_machines "
                                "(distinct machines do not add up across days)")
    out = await read(request, read_series, request.app.ctx.store, metric, start, end, step,
                     *_filters(request), request_slice(request))
    return json_response({"metric": metric, "from": to_rfc3339(start), "to": to_rfc3339(end),
                          "step": step, **out})


def _kinds(request: Request) -> list[str]:
    raw = request.args.get("kind")
    kinds = [k.strip() for k in raw.split(",") if k.strip()] if raw else list(KINDS)
    if not kinds or any(kind not in KINDS for kind in kinds):
        raise bad_param("kind", f"must be a comma-separated list of {', '.join(KINDS)}")
    return kinds


@bp.get("/annotations")
async def annotations(request: Request):
    """``?from&to&product&version&kind&limit`` → the latest ``limit`` notes, oldest first."""
    start, end = _window(request)
    kinds = _kinds(request)
    limit = int_param(request, "limit", 1000, 1, MAX_ANNOTATIONS)
    notes = await read(request, read_annotations, request.app.ctx.store, kinds, start, end,
                       *_filters(request), request_slice(request))
    notes.sort(key=lambda note: note["time"])
    return json_response(notes[-limit:])
