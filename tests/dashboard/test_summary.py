"""``Summary``: the fields of a session record the dashboard filters, sorts and counts by."""

from __future__ import annotations

from datacat.web.dashboard.summary import summarize

from .conftest import T0


def test_summary_hang_kinds():
    base = {"id": "s", "created_at": T0, "ended_at": T0 + 10, "status": "ended"}
    recovered = summarize(dict(base, hangs=[{"start": T0 + 1, "end": T0 + 2}]))
    assert recovered.kind("ever_hung") and recovered.kind("hung_recovered")
    assert not recovered.kind("hung_crashed") and recovered.incident == T0 + 1
    crashed = summarize(dict(base, status="crashed", hangs=[{"start": T0 + 1, "end": T0 + 10}]))
    assert crashed.kind("hung_crashed") and not crashed.kind("hung_recovered")
    assert crashed.incident == T0 + 10 and crashed.kind("crashed")
    ended_while_hung = summarize(dict(base, hangs=[{"start": T0 + 1, "end": T0 + 10}]))
    assert not ended_while_hung.kind("hung_recovered") and ended_while_hung.kind("ever_hung")
    plain = summarize(base)
    assert plain.incident is None and not plain.kind("ever_hung") and plain.duration(0) == 10


def test_summary_duration_runs_to_now_while_live_and_tolerates_odd_records():
    live = summarize({"id": "s", "created_at": T0, "status": "active", "updated_at": T0 + 5})
    assert live.duration(T0 + 60) == 60 and live.live
    lost = summarize({"id": "s", "created_at": T0, "status": "lost", "updated_at": T0 + 5})
    assert lost.duration(T0 + 60) == 5
    odd = summarize({"id": "x", "created_at": "yesterday", "hangs": "no", "event_count": None})
    assert odd.created == 0.0 and odd.hangs == 0 and odd.events == 0 and odd.product == "unknown"
