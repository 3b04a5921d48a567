"""Query-string parameters: parsed and checked, or a 400 that names the parameter."""

from __future__ import annotations

from sanic.request import Request

from datacat.broker.store import STATUSES, SessionQuery

from .errors import ApiError
from .timefmt import parse_time

__all__ = ["int_param", "time_param", "session_query", "bad_param", "MAX_PAGE"]

#: Largest page ``/api/v1/sessions`` serves.
MAX_PAGE = 500


def bad_param(name: str, why: str) -> ApiError:
    """A 400 naming query parameter ``name``."""
    return ApiError(400, "bad_parameter", f"query parameter {name!r}: {why}")


def int_param(request: Request, name: str, default: int | None, lo: int, hi: int) -> int | None:
    """An integer in ``lo..hi``, or ``default`` when absent."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_param(name, f"{raw!r} is not an integer") from None
    if not lo <= value <= hi:
        raise bad_param(name, f"must be between {lo} and {hi}")
    return value


def time_param(request: Request, name: str) -> float | None:
    """Epoch seconds from an RFC 3339 time or a number of seconds; ``None`` when absent."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        return parse_time(raw)
    except ValueError as exc:
        raise bad_param(name, f"{raw!r} is not an RFC 3339 time or epoch seconds ({exc})") from None


def session_query(request: Request, default_limit: int = 50) -> SessionQuery:
    """``product, version, status, since, until, limit, cursor`` from the query string."""
    status = request.args.get("status") or None
    if status is not None and status not in STATUSES:
        raise bad_param("status", f"must be one of {', '.join(STATUSES)}")
    since, until = time_param(request, "since"), time_param(request, "until")
    if since is not None and until is not None and since > until:
        raise bad_param("until", "is before 'since'")
    return SessionQuery(
        product=request.args.get("product") or None,
        version=request.args.get("version") or None,
        status=status, since=since, until=until,
        limit=int_param(request, "limit", default_limit, 1, MAX_PAGE),
        cursor=request.args.get("cursor") or None,
    )
