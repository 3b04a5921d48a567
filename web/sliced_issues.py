"""Issues in a slice: an issue counts when one of its sessions (``Store.issue_sessions``) is
in the slice; ``slice_sessions`` says how many of its sessions are (blocking: call it off
the event loop)."""

from __future__ import annotations

from datacat.broker.store import Store

from .issue_list import SESSIONS_SHOWN, IssueQuery, issue_detail, list_issues
from .serialize import session_out
from .slicing import MAX_EXAMINED, Slice, matching_sessions

__all__ = ["in_slice", "sliced_issues", "sliced_detail", "MAX_ISSUE_SESSIONS"]

#: Session ids of issues read at most for one sliced list (past it the answer is sampled).
MAX_ISSUE_SESSIONS = 5 * MAX_EXAMINED
_CHUNK = 1000


def _in_product(issue: dict, product: str | None) -> bool:
    return product is None or any(row["product"] == product for row in issue["products"])


def _slice_counts(store: Store, issues: list[dict], ids: set[str]) -> tuple[dict, bool]:
    """Per fingerprint, how many of the issue's sessions are in ``ids``; whether the
    ``MAX_ISSUE_SESSIONS`` budget cut the count short."""
    counts, budget = {}, MAX_ISSUE_SESSIONS
    for issue in issues:
        start, found = 0, 0
        while budget > 0:
            chunk = store.issue_sessions(issue["fingerprint"], start, min(_CHUNK, budget))
            budget -= len(chunk)
            found += sum(1 for sid in chunk if sid in ids)
            if len(chunk) < _CHUNK:
                break
            start += len(chunk)
        if found:
            counts[issue["fingerprint"]] = found
        if budget <= 0:
            return counts, True
    return counts, False


def in_slice(store: Store, issues: list[dict], product: str | None,
             ids: set[str]) -> tuple[list[dict], dict[str, int], bool]:
    """The issues (of ``product``) with a session among ``ids``, how many each has, and
    whether the ``MAX_ISSUE_SESSIONS`` budget cut the count short."""
    scoped = [issue for issue in issues if _in_product(issue, product)] if ids else []
    counts, cut = _slice_counts(store, scoped, ids)
    return [issue for issue in scoped if issue["fingerprint"] in counts], counts, cut


def sliced_issues(store: Store, issues: list[dict], versions: dict[str, list[str]],
                  query: IssueQuery, slice_: Slice) -> tuple[list[dict], str | None, dict]:
    """``list_issues`` over the issues with a session in the slice (of the query's product
    and version), each with ``slice_sessions``; and ``{slice, examined, sampled}``."""
    matched = matching_sessions(store, slice_, query.product, query.version)
    kept, counts, cut = in_slice(store, issues, query.product,
                                 {session["id"] for session in matched.sessions})
    items, cursor = list_issues(kept, versions, query)
    for item in items:
        item["slice_sessions"] = counts[item["fingerprint"]]
    return items, cursor, {"slice": slice_.out(), "examined": matched.examined,
                           "sampled": matched.sampled or cut}


def sliced_detail(store: Store, fingerprint: str, slice_: Slice) -> dict | None:
    """``issue_detail`` with ``affected_sessions`` (the first ``SESSIONS_SHOWN``) and
    ``slice_sessions`` counted among the issue's first ``MAX_EXAMINED`` sessions in the slice."""
    out = issue_detail(store, fingerprint)
    if out is None or not slice_:
        return out
    shown, found, examined = [], 0, 0
    while examined < MAX_EXAMINED:
        chunk = store.issue_sessions(fingerprint, examined, min(_CHUNK, MAX_EXAMINED - examined))
        examined += len(chunk)
        records = [session for session in map(store.get_session, chunk) if session is not None]
        for session in slice_.select(store, records):
            found += 1
            if len(shown) < SESSIONS_SHOWN:
                shown.append(session_out(session))
        if len(chunk) < _CHUNK:
            break
    out.update(affected_sessions=shown, slice_sessions=found, slice=slice_.out(),
               examined=examined, sampled=examined >= MAX_EXAMINED)
    return out
