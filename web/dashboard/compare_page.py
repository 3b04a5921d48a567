"""``/compare``: two versions of a product side by side: release health, session length, one
metric's p50 and p95, and the issues new or regressed in the second, or gone from it; all of
it within a slice when ``tag``, ``state`` or ``machine`` is given."""

from __future__ import annotations

from sanic.request import Request

from datacat.broker.issues import version_key

from ..issue_list import IssueQuery, list_issues, product_versions, seen_in
from ..metric_spread import METRIC_SESSIONS, common_name, read_windows, spread
from ..offload import read
from ..release_health import health_out
from ..sliced_health import sliced_health
from ..sliced_issues import in_slice
from ..slicing import Slice, matching_sessions, parse_slice
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


def _sides(store, rollups: list[dict], product: str, pair: tuple[str, str],
           slice_: Slice) -> tuple[list[dict], list[list[dict]], list]:
    """Each version's health (with ``median_seconds``), the sessions it was taken from
    (newest first) and, sliced, what examining them found (``Matched``)."""
    if slice_:
        found = [sliced_health(store, slice_, [(product, v)], product, v) for v in pair]
        return ([items[0] for items, _ in found], [m.sessions for _, m in found],
                [m for _, m in found])
    health = {(r["product"], r["version"]): health_out(r) for r in rollups}
    newest = [matching_sessions(store, slice_, product, v, METRIC_SESSIONS).sessions
              for v in pair]
    sides = [dict(health[(product, v)], median_seconds=health[(product, v)]["median_duration"])
             for v in pair]
    return sides, newest, []


def _groups(issues: list[dict], of_a: list[dict], of_b: list[dict], known: dict,
            product: str, a: str, b: str) -> list:
    """New and regressed in ``b`` (among ``of_b``), and seen in ``a`` (among ``of_a``) but
    not in ``b`` (among every issue)."""
    groups = []
    for title, status in (("New in " + b, "new"), ("Regressed in " + b, "regressed")):
        items, _ = list_issues(of_b, known, IssueQuery(product, b, status, limit=ISSUES_SHOWN))
        groups.append((title, items))
    in_b = seen_in(issues, product, b)
    gone, _ = list_issues([i for i in of_a if i["fingerprint"] not in in_b], known,
                          IssueQuery(product, a, limit=ISSUES_SHOWN))
    groups.append((f"Seen in {a}, not in {b}", gone))
    return groups


def _compare(store, product: str | None, args, slice_: Slice) -> dict:
    rollups = store.products()
    known = product_versions(rollups)
    versions = sorted(known.get(product, []), key=version_key)
    a, b = _pick(args, versions)
    context = {"products": sorted(known), "product": product, "versions": versions, "a": a,
               "b": b, "sides": [], "groups": [], "slice": slice_, "sliced": None,
               "metric": None}
    if a is None or b is None:
        return context
    context["sides"], sessions, matched = _sides(store, rollups, product, (a, b), slice_)
    issues = of_a = of_b = store.issues()
    if slice_:  # an issue counts in a version's slice through one of its sessions there
        (of_a, _, cut_a), (of_b, _, cut_b) = (
            in_slice(store, issues, product, {s["id"] for s in side}) for side in sessions)
        context["sliced"] = {"examined": sum(m.examined for m in matched),
                             "sampled": cut_a or cut_b or any(m.sampled for m in matched)}
    context["groups"] = _groups(issues, of_a, of_b, known, product, a, b)
    windows = [read_windows(store, side) for side in sessions]
    metric = (args.get("metric") or "").strip()[:256] or common_name(*windows)
    names = {str(p.get("name")) for side in windows for points in side for p in points}
    context["metric"] = {"name": metric, "names": sorted((names | {metric}) - {""}),
                         "sides": [spread(side, metric) for side in windows]}
    return context


@pages.get("/compare")
async def compare_page(request: Request):
    """``?product&a&b&metric&tag&state&machine``: version ``a`` against version ``b``
    (default: the last two)."""
    product = request.args.get("product") or None
    context = await read(request, _compare, request.app.ctx.store, product, request.args,
                         parse_slice(request.args))
    return render(request, "compare.html", metric_sessions=METRIC_SESSIONS, **context)
