"""Annotations for Grafana: crashes, hang episodes and releases within a time range.

Times are epoch milliseconds (``time``, ``timeEnd``), the fields Grafana maps by name,
with ``title``, ``text`` and ``tags``. A release is the first session seen of a version.
"""

from __future__ import annotations

from ..timefmt import to_rfc3339

__all__ = ["KINDS", "crash_notes", "release_notes", "hang_notes"]

KINDS = ("crash", "hang", "release")


def _ms(ts: float | None) -> int | None:
    return None if ts is None else int(round(ts * 1000))


def _where(summary) -> str:
    host = summary.hostname or "an unknown host"
    return f"{summary.product} {summary.version} on {host} (session {summary.id})"


def _note(kind: str, ts: float, title: str, text: str, summary=None, end: float | None = None,
          tags=(), product: str | None = None, version: str | None = None) -> dict:
    product = summary.product if summary is not None else product
    version = summary.version if summary is not None else version
    return {"time": _ms(ts), "timeEnd": _ms(end), "kind": kind, "title": title, "text": text,
            "tags": [kind, product, version, *tags], "timestamp": to_rfc3339(ts),
            "session_id": summary.id if summary is not None else None,
            "product": product, "version": version}


def crash_notes(summary, at: float) -> dict:
    """The note of a session that crashed at ``at``."""
    return _note("crash", at, f"crash: {summary.reason or 'unknown'}", _where(summary), summary,
                 tags=[summary.reason or "unknown"])


def release_notes(rollups: list[dict], start: float, end: float, product=None,
                  version=None) -> list[dict]:
    """One note per version whose first session started within ``start..end``."""
    return [_note("release", r["first_seen"], f"release: {r['product']} {r['version']}",
                  f"first session of {r['product']} {r['version']}", product=r["product"],
                  version=r["version"])
            for r in rollups
            if r.get("first_seen") is not None and start <= r["first_seen"] <= end
            and (product is None or r["product"] == product)
            and (version is None or r["version"] == version)]


def hang_notes(summary, record: dict | None, start: float, end: float) -> list[dict]:
    """One region per hang episode of ``record`` overlapping ``start..end``."""
    notes = []
    for episode in (record or {}).get("hangs") or ():
        began, ended = episode.get("start"), episode.get("end")
        if not isinstance(began, (int, float)) or began > end:
            continue
        if isinstance(ended, (int, float)) and ended < start:
            continue
        lasted = f"lasted {ended - began:.1f} s" if isinstance(ended, (int, float)) else "ongoing"
        notes.append(_note("hang", began, "hang", f"{_where(summary)}: {lasted}", summary,
                           end=ended if isinstance(ended, (int, float)) else None))
    return notes
