"""The ``/issues`` pages: issues largest first (by product and version, in a slice), and one
issue."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import unquote, urlencode

from sanic.request import Request

from ..issue_list import RELEASE_STATUSES, SORTS, IssueQuery, list_issues, product_versions
from ..offload import read
from ..sliced_issues import sliced_detail, sliced_issues
from ..slicing import Slice, parse_slice
from .blueprint import pages
from .render import render

__all__ = ["PAGE"]

#: Issues per page.
PAGE = 50


def _query(args) -> IssueQuery:
    """The page's filters; a value that is not one of the choices is ignored."""
    product = args.get("product") or None
    version = (args.get("version") or None) if product else None
    status = args.get("status") if version and args.get("status") in RELEASE_STATUSES else None
    sort = args.get("sort") if args.get("sort") in SORTS else "count"
    return IssueQuery(product=product, version=version, status=status, sort=sort, limit=PAGE,
                      cursor=args.get("cursor") or None)


def _page(store, issues: list[dict], versions: dict, query: IssueQuery,
          slice_: Slice) -> tuple[list[dict], str | None, dict | None]:
    if slice_:
        return sliced_issues(store, issues, versions, query, slice_)
    return (*list_issues(issues, versions, query), None)


def _listing(store, query: IssueQuery, slice_: Slice) -> dict:
    versions = product_versions(store.products())
    issues = store.issues()
    try:
        items, cursor, sliced = _page(store, issues, versions, query, slice_)
    except ValueError:  # a stale or edited cursor: the first page
        items, cursor, sliced = _page(store, issues, versions, replace(query, cursor=None),
                                      slice_)
    pairs = [("product", query.product or ""), ("version", query.version or ""),
             ("status", query.status or ""), ("sort", query.sort), *slice_.pairs()]
    return {"items": items, "query": query, "sorts": SORTS, "statuses": RELEASE_STATUSES,
            "products": sorted(versions), "slice": slice_, "sliced": sliced,
            "versions": versions.get(query.product, []),
            "next_link": None if cursor is None else
            "/issues?" + urlencode([*pairs, ("cursor", cursor)])}


@pages.get("/issues")
async def issues_page(request: Request):
    """Issues with their counts, machines, first version and release status per version."""
    context = await read(request, _listing, request.app.ctx.store, _query(request.args),
                         parse_slice(request.args))
    return render(request, "issues.html", **context)


@pages.get("/issues/<fingerprint:str>")
async def issue_page(request: Request, fingerprint: str):
    """One issue: its versions, sample stacks and the sessions it was seen in (those in the
    slice, when ``tag``, ``state`` or ``machine`` is given)."""
    fingerprint = unquote(fingerprint)
    slice_ = parse_slice(request.args)
    issue = await read(request, sliced_detail, request.app.ctx.store, fingerprint, slice_)
    if issue is None:
        return render(request, "not_found.html", status=404, what=f"issue {fingerprint}")
    return render(request, "issue.html", issue=issue, slice=slice_)
