"""``/api/v1/issues``: exceptions grouped by fingerprint, from figures kept at write time."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from datacat.broker.store import Store

from ..errors import ApiError
from ..issue_list import RELEASE_STATUSES, SORTS, IssueQuery, list_issues, product_versions
from ..jsonio import json_response
from ..offload import read
from ..params import MAX_PAGE, bad_param, int_param, time_param
from ..sliced_issues import sliced_detail, sliced_issues
from ..slicing import Slice, request_slice

__all__ = ["bp"]

bp = Blueprint("v1_issues", url_prefix="/api/v1/issues")


def _query(request: Request) -> IssueQuery:
    args = request.args
    product, version, status = (args.get(name) or None for name in ("product", "version", "status"))
    sort = args.get("sort") or "count"
    if sort not in SORTS:
        raise bad_param("sort", f"must be one of {', '.join(SORTS)}")
    if version is not None and product is None:
        raise bad_param("version", "needs 'product'")
    if status is not None and (status not in RELEASE_STATUSES or version is None):
        raise bad_param("status", f"must be one of {', '.join(RELEASE_STATUSES)}, "
                                  "with 'product' and 'version'")
    since, until = time_param(request, "since"), time_param(request, "until")
    if since is not None and until is not None and since > until:
        raise bad_param("until", "is before 'since'")
    return IssueQuery(product, version, status, since, until, sort,
                      int_param(request, "limit", 50, 1, MAX_PAGE), args.get("cursor") or None)


def _page(store: Store, query: IssueQuery, slice_: Slice) -> dict:
    issues, versions = store.issues(), product_versions(store.products())
    try:
        if slice_:
            items, cursor, sliced = sliced_issues(store, issues, versions, query, slice_)
            return {"items": items, "next_cursor": cursor, **sliced}
        items, cursor = list_issues(issues, versions, query)
    except ValueError as exc:
        raise bad_param("cursor", str(exc)) from None
    return {"items": items, "next_cursor": cursor}


def _detail(store: Store, fingerprint: str, slice_: Slice) -> dict:
    issue = sliced_detail(store, fingerprint, slice_)
    if issue is None:
        raise ApiError(404, "not_found", f"no issue {fingerprint!r}")
    return issue


@bp.get("")
async def list_all(request: Request):
    """``?product&version&status&since&until&sort&limit&cursor&tag&state&machine`` →
    ``{items, next_cursor}`` (sliced: also ``slice``, ``examined``, ``sampled``)."""
    return json_response(await read(request, _page, request.app.ctx.store, _query(request),
                                    request_slice(request)))


@bp.get("/<fingerprint:str>")
async def get(request: Request, fingerprint: str):
    """One issue: its figures per version, sample events with their stacks, its sessions
    (``?tag&state&machine``: those in the slice)."""
    return json_response(await read(request, _detail, request.app.ctx.store, fingerprint,
                                    request_slice(request)))
