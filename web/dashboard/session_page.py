"""Everything the session page shows, read from the store in one go (capped tails)."""

from __future__ import annotations

from datacat.broker.store import Store

from ..figures import metric_figures, session_timeline
from .crash import crash_report
from .events import EventQuery, find_events
from .statetree import state_tree

__all__ = ["session_page", "header", "TIMELINE_EVENTS", "TIMELINE_CHANGES", "METRIC_POINTS"]

#: The newest items of each stream the page reads at most.
TIMELINE_EVENTS = 3000
TIMELINE_CHANGES = 3000
METRIC_POINTS = 5000

def header(session: dict, now: float) -> dict:
    """The header fields: duration runs to ``now`` while the session does."""
    created, ended = session.get("created_at"), session.get("ended_at")
    live = session.get("status") in ("active", "hung")
    end = ended if ended is not None else (now if live else session.get("updated_at"))
    return {"duration": (end - created) if created is not None and end is not None else None,
            "machine": session.get("hostname") or session.get("machine_id") or "",
            "hangs": len(session.get("hangs") or ()), "live": live}


#: Child sessions listed on a session's page.
CHILDREN_SHOWN = 100


def session_page(store: Store, sid: str, now: float, events_query: EventQuery) -> dict | None:
    """The template context of ``/sessions/{id}`` (figures as dicts); ``None`` for an
    unknown session. The record, state and stream tails come from one ``read_session``."""
    found = store.read_session(sid, streams={"events": (-TIMELINE_EVENTS, TIMELINE_EVENTS),
                                             "history": (-TIMELINE_CHANGES, TIMELINE_CHANGES),
                                             "metrics": (-METRIC_POINTS, METRIC_POINTS)},
                               state=True)
    if found is None:
        return None
    session, state = found.session, found.state
    first_event, events = found.streams["events"]
    first_change, history = found.streams["history"]
    first_point, points = found.streams["metrics"]
    changes = [{"index": first_change + i, "ts": entry["ts"], "patch": entry["patch"]}
               for i, entry in enumerate(history)]
    # a cut-off stream covers less time than a whole one: show both from the later start
    starts = [items[0]["ts"] for items, first in ((events, first_event), (history, first_change))
              if first and items]
    since = max(starts) if starts else None
    shown = (events, changes) if since is None else (
        [e for e in events if (e.get("ts") or 0) >= since], [c for c in changes if c["ts"] >= since])
    nodes, truncated = state_tree(state)
    found = find_events(store, session["id"], session.get("event_count") or 0, events_query)
    return {
        "session": session, "header": header(session, now),
        "timeline": session_timeline(session, *shown, now), "since": since,
        "cut": {"events": first_event, "changes": first_change, "metrics": first_point},
        "metrics": metric_figures(points), "state_nodes": nodes, "state_truncated": truncated,
        "crash": crash_report(session, events, state),
        "events": found, "events_query": events_query,
        "levels": sorted({str(e.get("level")) for e in events if e.get("level")}),
        "categories": sorted({str(e.get("category")) for e in events if e.get("category")}),
        "children": store.children(session["id"], CHILDREN_SHOWN),
    }
