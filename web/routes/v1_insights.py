"""``GET /api/v1/series`` and ``GET /api/v1/annotations``: JSON for Grafana's Infinity."""

from __future__ import annotations

import time

from sanic import Blueprint
from sanic.request import Request

from ..errors import ApiError
from ..insights.annotations import KINDS, crash_notes, hang_candidates, hang_notes, release_notes
from ..insights.digest import current_digest, index_of
from ..insights.series import MAX_POINTS, METRICS, auto_step, build_series, parse_step
from ..jsonio import json_response
from ..offload import read
from ..params import bad_param, int_param, time_param
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


def _unavailable() -> ApiError:
    return ApiError(503, "unavailable", "the session index is still being built; retry shortly",
                    {"Retry-After": "5"})


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
    index = await index_of(request.app)
    if index is None:
        raise _unavailable()
    product, version = _filters(request)
    picked = [s for s in index.walk(since=start, until=end, newest_first=False)
              if (product is None or s.product == product)
              and (version is None or s.version == version)]
    out = await read(request, build_series, metric, picked, start, end, step, product)
    return json_response({"metric": metric, "from": to_rfc3339(start), "to": to_rfc3339(end),
                          "step": step, **out})


def _kinds(request: Request) -> list[str]:
    raw = request.args.get("kind")
    kinds = [k.strip() for k in raw.split(",") if k.strip()] if raw else list(KINDS)
    if not kinds or any(kind not in KINDS for kind in kinds):
        raise bad_param("kind", f"must be a comma-separated list of {', '.join(KINDS)}")
    return kinds


def _read_hangs(store, candidates, start: float, end: float) -> list[dict]:
    return [note for summary in candidates
            for note in hang_notes(summary, store.get_session(summary.id), start, end)]


@bp.get("/annotations")
async def annotations(request: Request):
    """``?from&to&product&version&kind&limit`` → the latest ``limit`` notes, oldest first."""
    start, end = _window(request)
    kinds = _kinds(request)
    limit = int_param(request, "limit", 1000, 1, MAX_ANNOTATIONS)
    product, version = _filters(request)
    digest = await current_digest(request.app)
    if digest is None:
        raise _unavailable()
    notes = []
    if "crash" in kinds:
        notes += crash_notes(digest, start, end, product, version)
    if "release" in kinds:
        notes += release_notes(digest, start, end, product, version)
    if "hang" in kinds:
        candidates = hang_candidates(digest, start, end, product, version)[-limit:]
        notes += await read(request, _read_hangs, request.app.ctx.store, candidates, start, end)
    notes.sort(key=lambda note: note["time"])
    return json_response(notes[-limit:])
