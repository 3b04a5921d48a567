"""The daemon's per-window reduction, without sockets."""

from __future__ import annotations

from datacat.daemon.window import DEFAULT_BUCKETS, Windows
from datacat.merge import deep_merge
from datacat.protocol import Kind

SID = "s-1"


def state(ts, patch):
    return [Kind.STATE, SID, ts, patch]


def metric(ts, name, value, mtype="gauge", tags=None, buckets=None):
    return [Kind.METRIC, SID, ts, name, value, mtype, None, tags, buckets]


def event(ts, name, data=None):
    return [Kind.EVENT, SID, ts, name, "info", None, [], None, data, None]


def test_many_patches_in_a_window_leave_as_one_diff():
    windows = Windows()
    for i in range(100):
        windows.add(state(float(i), {"frame": i, "player": {"hp": 100 - i}}))
    part = windows.build()[SID]
    assert part["state"] == [[99.0, {"frame": 99, "player": {"hp": 1}}]]


def test_a_patch_that_changes_nothing_is_not_sent():
    windows = Windows()
    windows.add(state(1.0, {"level": 3, "player": {"hp": 80}}))
    windows.build()
    windows.add(state(2.0, {"level": 3}))
    windows.add(state(3.0, {"player": {"hp": 80}}))
    windows.add(state(4.0, {"missing": None}))
    assert windows.build() == {}


def test_delete_then_recreate_within_a_window_sends_what_the_tier_needs():
    windows = Windows()
    windows.add(state(1.0, {"inv": {"sword": 1, "shield": 1}}))
    first = windows.build()[SID]["state"][0][1]
    windows.add(state(2.0, {"inv": None}))
    windows.add(state(3.0, {"inv": {"bow": 1}}))
    second = windows.build()[SID]["state"][0][1]
    assert deep_merge(deep_merge({}, first), second) == {"inv": {"bow": 1}}


def test_counters_and_histograms_aggregate_per_window():
    windows = Windows()
    for value in (1, 2, 3):
        windows.add(metric(1.0, "kills", value, "counter"))
    for value in (0.5, 7.0, 99999.0):
        windows.add(metric(2.0, "frame_ms", value, "histogram"))
    points = {p["name"]: p for p in windows.build()[SID]["metrics"]}
    assert points["kills"]["sum"] == 6 and points["kills"]["count"] == 3
    buckets = dict((str(le), n) for le, n in points["frame_ms"]["buckets"])
    assert len(buckets) == len(DEFAULT_BUCKETS) + 1
    assert buckets["1"] == 1 and buckets["10"] == 2 and buckets["+Inf"] == 3
    windows.add(metric(3.0, "kills", 4, "counter"))
    assert windows.build()[SID]["metrics"][0]["sum"] == 4  # a new window starts from zero


def test_metric_series_are_split_by_tags_and_custom_buckets_are_used():
    windows = Windows()
    windows.add(metric(1.0, "fps", 30, tags={"scene": "a"}))
    windows.add(metric(1.1, "fps", 60, tags={"scene": "b"}))
    windows.add(metric(1.2, "lat", 3, "timer", buckets=[10, 2]))
    points = windows.build()[SID]["metrics"]
    assert sorted(p["tags"]["scene"] for p in points if p["name"] == "fps") == ["a", "b"]
    lat = next(p for p in points if p["name"] == "lat")
    assert lat["buckets"] == [[2, 0], [10, 1], ["+Inf", 1]]


def test_unhashable_tag_values_do_not_break_aggregation():
    windows = Windows()
    windows.add(metric(1.0, "fps", 30, tags={"nested": {"a": [1]}}))
    windows.add(metric(1.0, "fps", 40, tags={"nested": {"a": [1]}}))
    assert windows.build()[SID]["metrics"][0]["count"] == 2


def test_events_keep_order_and_ended_sessions_are_forgotten():
    windows = Windows()
    windows.add([Kind.OPEN, SID, 0.5, "P", "1", 42, 0.0, "host", None, None, "0.1", 60.0, None])
    for i in range(5):
        windows.add(event(float(i), "e", {"i": i}))
    windows.add([Kind.BEAT, SID, 5.0])
    windows.add([Kind.END, SID, 6.0, "end"])
    part = windows.build()[SID]
    assert part["open"]["product"] == "P" and part["open"]["ts"] == 0.5
    assert [row[8]["i"] for row in part["event_rows"]] == list(range(5))
    assert part["beat"] == 5.0
    assert part["lifecycle"] == [[Kind.END, 6.0, {"reason": "end"}]]
    assert SID not in windows.sessions


def test_an_ended_session_is_counted_until_its_window_is_built():
    windows = Windows()
    windows.add(event(1.0, "work"))
    assert windows.ended == 0
    windows.add([Kind.END, SID, 2.0, "end"])
    windows.add([Kind.CRASH, SID, 3.0, "gone", None])  # a second ending of the same session
    assert windows.ended == 1
    part = windows.build()[SID]
    assert [kind for kind, _, _ in part["lifecycle"]] == [Kind.END, Kind.CRASH]
    assert windows.ended == 0 and SID not in windows.sessions
