"""Issues: stored exceptions grouped by fingerprint, and what each release makes of them (pure).

Every backend keeps, per issue and per *scope* (all, one product, one product+version), a
row of figures: ``count`` (exception events), ``sessions`` and ``machines`` (distinct),
``first_seen`` and ``last_seen`` (event times). A *hit* is one exception event as ``apply``
hands it to the store: ``[fingerprint, seq, ts, product, version, machine_id, type,
message]``.

An issue is *new* in the first version (in version order) of a product it was seen in,
*regressed* in a version it was seen in when the product's version just before (one that
has sessions) did not see it but an older one did, else *ongoing*.
"""

from __future__ import annotations

import re

from .fingerprint import fingerprint

__all__ = ["exception_hits", "scopes", "new_record", "fold", "issue_out", "version_key",
           "release_status", "SAMPLES", "ROW"]

#: Sample events kept per issue (the first ones stored).
SAMPLES = 5
#: The figures of one scope of an issue.
ROW = ("count", "sessions", "machines", "first_seen", "last_seen")
_SEP = "\x1f"
_CRASHED = "session_crashed"


def exception_hits(session: dict, events: list[dict]) -> list[list]:
    """The hits of ``events`` (just appended to ``session``, so with their ``seq``).

    An event's ``exception`` map counts; so does the exception in a ``session_crashed``
    event's ``data``, unless it is the one the session logged last (the SDK logs an
    unhandled exception as an event, then sends the crash with it). ``session["last_issue"]``
    remembers that fingerprint.
    """
    hits = []
    for event in events:
        exception, crash = event.get("exception"), False
        if not isinstance(exception, dict) and event.get("name") == _CRASHED:
            data = event.get("data")
            exception, crash = data.get("exception") if isinstance(data, dict) else None, True
        if not isinstance(exception, dict):
            continue
        issue = fingerprint(exception)
        if crash and session.get("last_issue") == issue:
            continue
        session["last_issue"] = issue
        machine = session.get("machine_id")
        hits.append([issue, event["seq"], event["ts"], str(session["product"]),
                     str(session["version"]), machine if isinstance(machine, str) else None,
                     _text(exception.get("type")), _text(exception.get("message"))])
    return hits


def _text(value) -> str:
    return value[:500] if isinstance(value, str) else ""


def scopes(product: str, version: str) -> tuple[str, str, str]:
    """The scopes a hit of ``product`` ``version`` counts in: all, product, product+version."""
    return "", product, product + _SEP + version


def new_record(hit: list) -> dict:
    """An issue's record before its first hit (the KV layout)."""
    return {"fingerprint": hit[0], "type": hit[6], "message": hit[7], "scopes": {},
            "samples": []}


def fold(record: dict, hit: list, sid: str, new_session: set, new_machine: set) -> None:
    """Count ``hit`` of session ``sid`` in ``record``; ``new_*``: the scopes it is new in."""
    ts = hit[2]
    for scope in scopes(hit[3], hit[4]):
        row = record["scopes"].setdefault(scope, dict.fromkeys(ROW[:3], 0))
        row["count"] += 1
        row["sessions"] += scope in new_session
        row["machines"] += scope in new_machine
        row["first_seen"] = min(row.get("first_seen", ts), ts)
        row["last_seen"] = max(row.get("last_seen", ts), ts)
    if len(record["samples"]) < SAMPLES:
        record["samples"].append([sid, hit[1]])


def issue_out(record: dict) -> dict:
    """The record as ``Store.issue`` returns it: the totals, ``products`` and ``versions``."""
    rows = record["scopes"]
    out = {"fingerprint": record["fingerprint"], "type": record["type"],
           "message": record["message"], **_row(rows.get("")), "products": [], "versions": [],
           "samples": [list(sample) for sample in record["samples"]]}
    for scope in sorted(s for s in rows if s):
        product, _, version = scope.partition(_SEP)
        if _SEP in scope:
            out["versions"].append({"product": product, "version": version, **_row(rows[scope])})
        else:
            out["products"].append({"product": product, **_row(rows[scope])})
    return out


def _row(row: dict | None) -> dict:
    row = row or {}
    return {name: row.get(name, 0 if n < 3 else None) for n, name in enumerate(ROW)}


def version_key(version: str) -> tuple:
    """Natural order: runs of digits compare as numbers (``2.10`` after ``2.9``)."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                 for part in re.findall(r"\d+|\D+", version))


def release_status(issue: dict, product: str, versions: list[str]) -> dict[str, str]:
    """``{version: "new" | "regressed" | "ongoing"}`` for each version of ``product`` the
    issue was seen in; ``versions``: the product's versions that have sessions."""
    seen = {row["version"] for row in issue["versions"] if row["product"] == product}
    status, ever, before = {}, False, False
    for version in sorted(seen.union(versions), key=version_key):
        now = version in seen
        if now:
            status[version] = "ongoing" if before else ("regressed" if ever else "new")
            ever = True
        before = now
    return status
