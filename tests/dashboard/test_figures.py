"""Figure builders: given records, the expected traces and layout (and valid for plotly)."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from datacat.web.figures import (
    STATUS_COLORS,
    metric_distribution,
    metric_series,
    session_timeline,
    sessions_over_time,
    utc,
    version_comparison,
    version_rates,
)
from datacat.web.figures.cross import time_buckets

T = 1_750_000_000.0


def valid(fig: dict) -> dict:
    go.Figure(fig)  # plotly's own validation of every trace and layout property
    return fig


def test_sessions_over_time_stacks_one_trace_per_status_in_order():
    fig = valid(sessions_over_time({(T, "ended"): 3, (T + 3600, "crashed"): 1,
                                    (T, "active"): 2}, 3600))
    assert [t["name"] for t in fig["data"]] == ["active", "ended", "crashed"]
    assert all(t["x"] == [utc(T), utc(T + 3600)] for t in fig["data"])
    assert fig["data"][1]["y"] == [3, 0] and fig["data"][2]["y"] == [0, 1]
    assert fig["data"][2]["marker"]["color"] == STATUS_COLORS["crashed"]
    assert fig["layout"]["barmode"] == "stack" and "per hour" in fig["layout"]["title"]["text"]
    assert fig["layout"]["yaxis"]["dtick"] == 1  # 5 sessions at most: whole-number ticks
    assert "per day" in sessions_over_time({(T, "ended"): 1}, 86400)["layout"]["title"]["text"]


def test_empty_figures_say_why():
    fig = valid(sessions_over_time({}, 3600))
    assert fig["data"] == [] and fig["layout"]["annotations"][0]["text"] == "No sessions yet"
    assert valid(version_rates([]))["data"] == []
    assert valid(metric_distribution("fps", []))["layout"]["annotations"]
    assert valid(metric_series("fps", []))["data"] == []
    assert valid(version_comparison([]))["data"] == []


def test_version_rates_marks_a_regression_against_the_previous_version():
    rows = [{"product": "A", "version": "1", "total": 100, "crashed": 1, "hung": 0},
            {"product": "A", "version": "2", "total": 100, "crashed": 9, "hung": 0},
            {"product": "B", "version": "1", "total": 10, "crashed": 5, "hung": 5}]
    crash_free, hang_free = valid(version_rates(rows))["data"]
    assert crash_free["x"] == ["A 1", "A 2", "B 1"]
    assert crash_free["y"] == [99.0, 91.0, 50.0] and hang_free["y"] == [100.0, 100.0, 50.0]
    # B 1 is lower still, but it is another product's first version: no regression
    assert crash_free["marker"]["line"]["width"] == [0, 3, 0]
    assert [c[1] for c in crash_free["customdata"]] == ["", "regressed", ""]
    assert hang_free["marker"]["line"]["width"] == [0, 0, 0]


def test_user_text_is_escaped_for_plotly_labels():
    rows = [{"product": "<script>alert(1)</script>", "version": "<b>", "total": 1, "crashed": 0,
             "hung": 0}]
    fig = version_rates(rows)
    label = fig["data"][0]["x"][0]
    assert "<" not in label and label == "&lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;"
    # tick labels are cut short, on two lines (the <br> is ours; the rest is escaped)
    assert fig["layout"]["xaxis"]["tickvals"] == [label]
    assert fig["layout"]["xaxis"]["ticktext"] == ["&lt;script&gt;alert(1)&lt;/s…<br>&lt;b&gt;"]
    session = {"created_at": T, "ended_at": T + 9, "status": "ended"}
    fig = session_timeline(session, [{"ts": T, "seq": 0, "name": "<img src=x>", "level": "info",
                                      "message": "a&b"}], [], T + 9)
    assert fig["data"][0]["hovertext"] == ["<b>&lt;img src=x&gt;</b><br>a&amp;b"]


def test_timeline_rows_points_and_click_keys():
    session = {"created_at": T, "ended_at": T + 60, "status": "crashed", "reason": "x",
               "hangs": [{"start": T + 10, "end": T + 20}, {"start": T + 50, "end": None}],
               "suspends": [{"start": T + 30, "end": T + 40}]}
    events = [{"ts": T + 1, "seq": 0, "name": "boot", "level": "info"},
              {"ts": T + 2, "seq": 1, "name": "slow", "level": "warning"},
              {"ts": T + 3, "seq": 2, "name": "odd", "level": "custom"},
              {"ts": T + 4, "seq": 3, "name": "exception", "level": "error",
               "exception": {"type": "ValueError"}},
              {"ts": T + 60, "seq": 4, "name": "session_crashed", "level": "critical"}]
    changes = [{"index": 0, "ts": T, "patch": {"level": 1}}, {"index": 1, "ts": T + 5,
                                                             "patch": {"hp": 3, "xp": 1}}]
    fig = valid(session_timeline(session, events, changes, now=T + 100))
    rows = {t["name"]: t for t in fig["data"]}
    assert list(rows) == ["state change", "info", "warning", "custom", "exception", "crash"]
    assert fig["layout"]["yaxis"]["categoryarray"] == ["state", "info", "warning", "custom",
                                                      "exception", "crash"]
    assert rows["state change"]["customdata"] == [["s", 0], ["s", 1]]
    assert rows["state change"]["hovertext"][1] == "state: hp, xp"
    assert rows["exception"]["customdata"] == [["e", 3]] and rows["crash"]["customdata"] == [["e", 4]]
    spans = [s for s in fig["layout"]["shapes"] if s["type"] == "rect"]
    assert [(s["name"], s["x0"], s["x1"]) for s in spans] == [
        ("hang", utc(T + 10), utc(T + 20)), ("hang", utc(T + 50), utc(T + 60)),
        ("suspended", utc(T + 30), utc(T + 40))]
    assert [s["showlegend"] for s in spans] == [True, False, True]
    lines = [s for s in fig["layout"]["shapes"] if s["type"] == "line"]
    assert [line["x0"] for line in lines] == [utc(T + 60)]


def test_timeline_of_a_crash_without_its_event_still_marks_it_and_open_hang_runs_to_now():
    session = {"created_at": T, "ended_at": None, "status": "hung",
               "hangs": [{"start": T + 5, "end": None}]}
    fig = valid(session_timeline(session, [], [], now=T + 30))
    assert fig["data"] == [] and fig["layout"]["xaxis"]["range"] == [utc(T), utc(T + 30)]
    assert fig["layout"]["shapes"][0]["x1"] == utc(T + 30)
    crashed = dict(session, status="crashed", ended_at=T + 9, reason="process_vanished")
    fig = session_timeline(crashed, [], [], now=T + 30)
    assert fig["data"][0]["name"] == "crash" and fig["data"][0]["customdata"] == [None]


def test_metric_distribution_and_series():
    fig = valid(metric_distribution("fps", [10.0, 20.0, 30.0, 40.0], "fps"))
    assert fig["data"][0]["type"] == "histogram" and fig["data"][0]["x"] == [10.0, 20.0, 30.0, 40.0]
    assert fig["data"][0]["xbins"] == {"start": 10.0, "end": 41.5, "size": 1.5}  # 20 bins
    assert metric_distribution("n", [3.0])["data"][0]["xbins"]["size"] == 1.0
    # the y axis counts whole sessions: 7 in the fullest bin, ticks 2 apart from 0
    counts = metric_distribution("n", [1.0] * 7 + [2.0, 5.0])["layout"]["yaxis"]
    assert (counts["tick0"], counts["dtick"], counts["rangemode"]) == (0, 2, "tozero")
    assert [s["x0"] for s in fig["layout"]["shapes"]] == [25.0, 25.0, pytest.approx(38.5)]
    assert [a["text"] for a in fig["layout"]["annotations"]] == ["mean", "median", "p95"]
    points = [(T, 1.0), (T, 3.0), (T + 100, 10.0)]
    fig = valid(metric_series("fps", points, buckets=2))
    stats = {t["name"]: t["y"] for t in fig["data"]}
    assert stats == {"mean": [2.0, 10.0], "median": [2.0, 10.0], "p95": [pytest.approx(2.9), 10.0],
                     "max": [3.0, 10.0]}


def test_time_buckets_keep_the_last_sample_in_the_last_slice():
    slices = time_buckets([(0.0, 1), (5.0, 2), (10.0, 3)], buckets=2)
    assert slices == [(0.0, [1]), (5.0, [2, 3])]


def test_version_comparison_has_four_panels_on_their_own_axes():
    rows = [{"version": "1", "total": 5, "crash_free": 80.0, "hang_rate": 20.0, "median_seconds": 9},
            {"version": "<2>", "total": 7, "crash_free": 100.0, "hang_rate": 0.0,
             "median_seconds": None}]
    fig = valid(version_comparison(rows))
    assert [(t["xaxis"], t["yaxis"]) for t in fig["data"]] == [("x", "y"), ("x2", "y2"),
                                                              ("x3", "y3"), ("x4", "y4")]
    assert fig["data"][0]["x"] == ["1", "&lt;2&gt;"] and fig["data"][3]["y"] == [9, None]
    assert fig["layout"]["grid"]["rows"] == 2 and fig["layout"]["grid"]["columns"] == 2


def test_version_comparison_panels_are_titled_coloured_by_status_and_show_a_zero_rate():
    rows = [{"version": "1", "total": 3, "crash_free": 100.0, "hang_rate": 0.0, "median_seconds": 2},
            {"version": "2", "total": 4, "crash_free": 75.0, "hang_rate": 0.0, "median_seconds": 3}]
    fig = valid(version_comparison(rows))
    titles = [(a["text"], a["xref"], a["yref"]) for a in fig["layout"]["annotations"]]
    assert titles == [("<b>Sessions</b>", "x domain", "y domain"),
                      ("<b>Crash-free sessions %</b>", "x2 domain", "y2 domain"),
                      ("<b>Hang rate %</b>", "x3 domain", "y3 domain"),
                      ("<b>Median length (s)</b>", "x4 domain", "y4 domain")]
    crash_free, hang_rate = fig["data"][1], fig["data"][2]
    assert crash_free["marker"]["color"] == STATUS_COLORS["ended"]
    assert hang_rate["marker"]["color"] == STATUS_COLORS["hung"]
    # all zero: the axis still spans 0..1 and its zero line is drawn in the panel's colour
    assert hang_rate["text"] == ["0.0%", "0.0%"]
    assert fig["layout"]["yaxis3"]["range"] == [0, 1.2]
    assert fig["layout"]["yaxis3"]["zerolinecolor"] == STATUS_COLORS["hung"]


def test_overview_rates_have_the_product_page_colours():
    rows = [{"product": "A", "version": "1", "total": 10, "crashed": 1, "hung": 2}]
    crash_free, hang_free = valid(version_rates(rows))["data"]
    assert crash_free["marker"]["color"] == STATUS_COLORS["ended"]
    assert hang_free["marker"]["color"] == STATUS_COLORS["hung"]
