"""The dashboard index: summaries, rollups kept exact, and refreshes from the store."""

from __future__ import annotations

from datacat.broker.apply import apply
from datacat.protocol import Kind
from datacat.web.dashboard.index import SessionIndex, fetch_changes
from datacat.web.dashboard.rollup import DAY, HOUR
from datacat.web.dashboard.summary import summarize

from .conftest import T0, add


def refreshed(store, index: SessionIndex | None = None) -> SessionIndex:
    index = index or SessionIndex()
    index.apply(fetch_changes(store, index.by_id.__contains__, index.live_ids()))
    return index


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


def test_first_refresh_reads_every_session_then_only_what_changed(store):
    for n in range(7):
        add(store, f"s{n}", at=T0 + n, end=None if n == 6 else "end")
    index = refreshed(store)
    assert len(index) == 7 and index.live_ids() == ["s6"]
    generation = index.generation
    refreshed(store, index)
    assert index.generation == generation  # nothing changed: nothing re-counted
    add(store, "s7", at=T0 + 7)
    apply(store, {"sessions": {"s6": {"lifecycle": [[int(Kind.CRASH), T0 + 20, {}]]}}})
    changes = fetch_changes(store, index.by_id.__contains__, index.live_ids())
    assert [s.id for s in changes.new] == ["s7"] and [s.id for s in changes.updated] == ["s6"]
    index.apply(changes)
    assert index.rollup.by_status == {"ended": 7, "crashed": 1} and index.live_ids() == []


def test_rollup_counts_stay_exact_through_updates(store):
    add(store, "a", version="1.0", at=T0, hang=(T0 + 1, T0 + 2))
    add(store, "b", version="1.0", at=T0 + HOUR, end="crash")
    add(store, "c", version="2.0", at=T0 + DAY, end=None)
    index = refreshed(store)
    rollup = index.rollup
    assert rollup.version_rows() == [
        {"product": "Orbit", "version": "1.0", "total": 2, "crashed": 1, "hung": 1},
        {"product": "Orbit", "version": "2.0", "total": 1, "crashed": 0, "hung": 0}]
    hour = T0 // HOUR * HOUR
    assert rollup.hours[(hour, "ended")] == 1 and rollup.hours[(hour + HOUR, "crashed")] == 1
    assert set(rollup.incidents) == {"a", "b"}
    apply(store, {"sessions": {"c": {"lifecycle": [[int(Kind.END), T0 + DAY + 5, {}]]}}})
    refreshed(store, index)
    assert rollup.by_status == {"ended": 2, "crashed": 1}
    assert (T0 + DAY) // HOUR * HOUR not in [k[0] for k in rollup.hours if k[1] == "active"]
    assert all(count > 0 for count in rollup.hours.values())


def test_a_product_change_moves_the_session_between_versions(store):
    add(store, "a", product="Early", version="0", end=None)
    index = refreshed(store)
    apply(store, {"sessions": {"a": {"open": {"product": "Late", "version": "1"}}}})
    refreshed(store, index)
    assert [(r["product"], r["total"]) for r in index.rollup.version_rows()] == [("Late", 1)]


def test_walk_by_start_time_both_ways_with_bounds_and_a_position(store):
    for n in range(5):
        add(store, f"s{n}", at=T0 + 10 * n)
    index = refreshed(store)
    assert [s.id for s in index.walk()] == ["s4", "s3", "s2", "s1", "s0"]
    assert [s.id for s in index.walk(newest_first=False)] == ["s0", "s1", "s2", "s3", "s4"]
    assert [s.id for s in index.walk(T0 + 10, T0 + 30)] == ["s3", "s2", "s1"]
    assert [s.id for s in index.walk(after=(T0 + 20, "s2"))] == ["s1", "s0"]
    assert [s.id for s in index.walk(after=(T0 + 20, "s2"), newest_first=False)] == ["s3", "s4"]
    assert index.count_between(T0 + 10, T0 + 30) == 3 and index.count_between(None, None) == 5
    assert index.first_created() == T0
