"""``/compare``: two versions of a product side by side: release health, session length, and
the issues new or regressed in the second, or gone from it."""

from __future__ import annotations

from sanic.request import Request

from datacat.broker.issues import version_key

from ..issue_list import IssueQuery, list_issues, product_versions
from ..offload import read
from ..release_health import health_out
from .blueprint import pages
from .render import render

__all__ = ["ISSUES_SHOWN"]

#: Issues listed per group (new, regressed, gone).
ISSUES_SHOWN = 20


def _pick(args, versions: list[str]) -> tuple[str | None, str | None]:
    """The versions asked for, else the product's last two (in version order)."""
    a, b = args.get("a"), args.get("b")
    a = a if a in versions else (versions[-2] if len(versions) > 1 else None)
    b = b if b in versions else (versions[-1] if versions else None)
    return a, b


def _compare(store, product: str | None, args) -> dict:
    rollups = store.products()
    known = product_versions(rollups)
    versions = sorted(known.get(product, []), key=version_key)
    a, b = _pick(args, versions)
    context = {"products": sorted(known), "product": product, "versions": versions, "a": a,
               "b": b, "sides": [], "groups": []}
    if a is None or b is None:
        return context
    health = {(r["product"], r["version"]): health_out(r) for r in rollups}
    context["sides"] = [health[(product, v)] for v in (a, b)]
    issues = store.issues()
    for title, status in (("New in " + b, "new"), ("Regressed in " + b, "regressed")):
        items, _ = list_issues(issues, known, IssueQuery(product, b, status,
                                                         limit=ISSUES_SHOWN))
        context["groups"].append((title, items))
    in_b = {i["fingerprint"] for i in list_issues(issues, known, IssueQuery(
        product, b, limit=len(issues) or 1))[0]}
    gone, _ = list_issues([i for i in issues if i["fingerprint"] not in in_b], known,
                          IssueQuery(product, a, limit=ISSUES_SHOWN))
    context["groups"].append((f"Seen in {a}, not in {b}", gone))
    return context


@pages.get("/compare")
async def compare_page(request: Request):
    """``?product&a&b``: version ``a`` against version ``b`` (default: the last two)."""
    product = request.args.get("product") or None
    context = await read(request, _compare, request.app.ctx.store, product, request.args)
    for side in context["sides"]:
        side["median_seconds"] = side["median_duration"]
    return render(request, "compare.html", **context)
