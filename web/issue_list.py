"""Issues as ``/api/v1/issues`` and the ``/issues`` pages show them: one scope's figures,
filtered, sorted, paged (pure, but for ``issue_detail``, which reads the store).

Figures are the whole issue's, the product's (``product=``) or the version's (``product=``
and ``version=``). ``since``/``until`` keep issues seen in that window (last seen at or
after ``since``, first seen at or before ``until``). The cursor is the sort value and
fingerprint of the last item listed: pages never repeat an item.
"""

from __future__ import annotations

from dataclasses import dataclass

from datacat.broker.issues import release_status, version_key
from datacat.broker.store import Store

from .serialize import event_out, session_out
from .timefmt import to_rfc3339

__all__ = ["IssueQuery", "SORTS", "RELEASE_STATUSES", "SESSIONS_SHOWN", "list_issues",
           "issue_out", "issue_detail", "product_versions", "seen_in"]

SORTS = ("count", "machines", "last_seen")
#: Sessions an issue's detail lists (the first ones the issue was seen in).
SESSIONS_SHOWN = 100
RELEASE_STATUSES = ("new", "regressed", "ongoing")


@dataclass(frozen=True)
class IssueQuery:
    product: str | None = None
    version: str | None = None
    status: str | None = None
    since: float | None = None
    until: float | None = None
    sort: str = "count"
    limit: int = 50
    cursor: str | None = None


def product_versions(rollups: list[dict]) -> dict[str, list[str]]:
    """Each product's versions that have sessions, in version order."""
    versions: dict[str, list[str]] = {}
    for rollup in rollups:
        if rollup["total"] > 0:
            versions.setdefault(rollup["product"], []).append(rollup["version"])
    return {product: sorted(found, key=version_key) for product, found in versions.items()}


def _scope(issue: dict, query: IssueQuery) -> dict | None:
    if query.product is None:
        return issue
    rows = issue["versions"] if query.version is not None else issue["products"]
    return next((row for row in rows if row["product"] == query.product
                 and (query.version is None or row["version"] == query.version)), None)


def seen_in(issues: list[dict], product: str, version: str) -> set[str]:
    """Fingerprints of the ``issues`` counted in ``product`` ``version``."""
    query = IssueQuery(product, version)
    return {issue["fingerprint"] for issue in issues
            if (row := _scope(issue, query)) is not None and row["count"] > 0}


def issue_out(issue: dict, versions: dict[str, list[str]], row: dict | None = None) -> dict:
    """An issue with times in RFC 3339, each version's release status and first versions."""
    row = issue if row is None else row
    status = {product: release_status(issue, product, known)
              for product, known in versions.items()}
    rows = [dict(_times(r), status=status.get(r["product"], {}).get(r["version"]))
            for r in sorted(issue["versions"], key=lambda r: (r["product"],
                                                              version_key(r["version"])))]
    first = {}
    for r in rows:
        first.setdefault(r["product"], r["version"])
    return {"fingerprint": issue["fingerprint"], "type": issue["type"],
            "message": issue["message"],
            **_times({name: row[name] for name in ("count", "sessions", "machines",
                                                   "first_seen", "last_seen")}),
            "first_version": first, "versions": rows}


def _times(row: dict) -> dict:
    return dict(row, first_seen=to_rfc3339(row["first_seen"]),
                last_seen=to_rfc3339(row["last_seen"]))


def _key(row: dict, sort: str) -> float:
    return float(row[sort] or 0)


def list_issues(issues: list[dict], versions: dict[str, list[str]],
                query: IssueQuery) -> tuple[list[dict], str | None]:
    """One page of ``issues`` matching ``query``, and the next page's cursor (``None``: last).

    ``ValueError`` for a malformed cursor.
    """
    after = _parse_cursor(query.cursor)
    picked = []
    for issue in issues:
        row = _scope(issue, query)
        if row is None or row["count"] == 0:
            continue
        if query.since is not None and (row["last_seen"] or 0) < query.since:
            continue
        if query.until is not None and (row["first_seen"] or 0) > query.until:
            continue
        if query.status is not None and release_status(
                issue, query.product, versions.get(query.product, [])).get(query.version) \
                != query.status:
            continue
        place = (-_key(row, query.sort), issue["fingerprint"])
        if after is None or place > after:
            picked.append((place, issue, row))
    picked.sort(key=lambda item: item[0])
    page = picked[:query.limit]
    cursor = None
    if len(picked) > query.limit:
        value, fingerprint = page[-1][0]
        cursor = f"{-value!r}~{fingerprint}"
    return [issue_out(issue, versions, row) for _, issue, row in page], cursor


def _parse_cursor(cursor: str | None) -> tuple[float, str] | None:
    if not cursor:
        return None
    value, sep, fingerprint = cursor.partition("~")
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not sep or not fingerprint or number != number:
        raise ValueError(f"not an issue cursor: {cursor!r}")
    return -number, fingerprint


def issue_detail(store: Store, fingerprint: str) -> dict | None:
    """``issue_out`` of one issue plus ``samples`` (each with its event) and
    ``affected_sessions`` (the first ``SESSIONS_SHOWN``); ``None`` if unknown. Reads the store."""
    issue = store.issue(fingerprint)
    if issue is None:
        return None
    out = issue_out(issue, product_versions(store.products()))
    out["samples"] = []
    for sid, seq in issue["samples"]:
        events = store.read("events", sid, seq, 1)
        out["samples"].append({"session_id": sid, "seq": seq,
                               "event": event_out(events[0]) if events else None})
    sessions = (store.get_session(sid)
                for sid in store.issue_sessions(fingerprint, 0, SESSIONS_SHOWN))
    out["affected_sessions"] = [session_out(s) for s in sessions if s is not None]
    return out
