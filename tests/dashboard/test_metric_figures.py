"""Per-session metric charts by type, and the statistics under them."""

from __future__ import annotations

import math

import plotly.graph_objects as go
import pytest

from datacat.web.figures import bucket_percentile, metric_figures, percentile, summary, utc
from datacat.web.figures.common import integer_axis, steady_range
from datacat.web.figures.stats import merge_buckets, point_value

T = 1_750_000_000.0


def point(name, kind, ts, **fields) -> dict:
    return {"name": name, "type": kind, "ts": ts, **fields}


def by_name(points) -> dict:
    figures = metric_figures(points)
    for item in figures:
        go.Figure(item["figure"])
    return {item["name"]: item for item in figures}


def test_gauge_is_its_last_value_in_a_min_max_band():
    charts = by_name([point("fps", "gauge", T + 1, count=2, sum=110, min=50, max=60, last=60,
                            unit="fps"),
                      point("fps", "gauge", T, count=1, sum=30, min=30, max=30, last=30)])
    low, high, line = charts["fps"]["figure"]["data"]
    assert line["x"] == [utc(T), utc(T + 1)] and line["y"] == [30, 60] and line["name"] == "last"
    assert low["y"] == [30, 50] and high["y"] == [30, 60] and high["fill"] == "tonexty"
    assert charts["fps"]["figure"]["layout"]["title"]["text"] == "fps (gauge, fps)"


def test_timer_is_its_mean_per_window():
    charts = by_name([point("load", "timer", T, count=4, sum=100.0, min=10, max=40, last=20,
                            buckets=[[50, 4], ["+Inf", 4]])])
    assert charts["load"]["figure"]["data"][2]["y"] == [25.0]
    assert charts["load"]["figure"]["data"][2]["name"] == "mean"


def test_counter_shows_rate_per_second_and_running_total():
    charts = by_name([point("kills", "counter", T + 2, t0=T, count=2, sum=4),
                      point("kills", "counter", T + 4, t0=T + 3, count=1, sum=6),
                      point("kills", "counter", T + 5, count=1, sum=1)])
    rate, total = charts["kills"]["figure"]["data"]
    assert total["y"] == [4, 10, 11] and total["yaxis"] == "y2"
    assert rate["y"] == [2.0, 3.0, 1.0]  # 4 over its window, then 6 and 1 over the gaps
    layout = charts["kills"]["figure"]["layout"]
    assert layout["yaxis2"]["overlaying"] == "y" and layout["yaxis2"]["side"] == "right"


def test_a_timer_varying_by_a_hair_draws_flat_and_a_counter_total_has_whole_ticks():
    charts = by_name([point("tick", "timer", T, count=1, sum=250.05, min=250.05, max=250.05),
                      point("tick", "timer", T + 1, count=1, sum=250.1, min=250.1, max=250.1),
                      point("hits", "counter", T + 1, t0=T, count=1, sum=20),
                      point("hits", "counter", T + 2, count=1, sum=26.0)])
    low, high = charts["tick"]["figure"]["layout"]["yaxis"]["range"]
    assert 0.05 / (high - low) < 0.01  # the 0.05 ms step is under 1 % of the axis
    assert low <= 250.05 and high >= 250.1
    total_axis = charts["hits"]["figure"]["layout"]["yaxis2"]
    assert (total_axis["tickmode"], total_axis["tick0"], total_axis["dtick"]) == ("linear", 0, 10)
    half = by_name([point("load", "counter", T + 1, t0=T, count=1, sum=0.5)])["load"]
    assert "dtick" not in half["figure"]["layout"]["yaxis2"]  # fractional totals: ticks as they come


def test_steady_range_and_integer_axis():
    assert steady_range([0, 0]) == [0.0, 1.0] and steady_range([None]) is None
    assert steady_range([50, 60]) == [47.0, 63.0] and steady_range([-3, -2])[1] < 0
    assert [integer_axis(top)["dtick"] for top in (0, 5, 6, 11, 46.5, 1234)] == [1, 1, 2, 5, 10, 500]


def test_counter_without_a_window_start_has_no_first_rate():
    charts = by_name([point("n", "counter", T, count=1, sum=3)])
    assert charts["n"]["figure"]["data"][0]["y"] == [None]


def test_histogram_shows_bucket_counts_and_percentiles():
    charts = by_name([
        point("frame", "histogram", T, count=2, sum=4, unit="ms", buckets=[[1, 1], [5, 2], ["+Inf", 2]]),
        point("frame", "histogram", T + 1, count=2, sum=30, buckets=[[1, 0], [5, 1], ["+Inf", 2]])])
    (bars,) = charts["frame"]["figure"]["data"]
    assert bars["x"] == ["≤ 1", "≤ 5", "≤ +Inf"] and bars["y"] == [1, 2, 1]
    title = charts["frame"]["figure"]["layout"]["title"]["text"]
    assert title.startswith("frame (histogram, ms) — p50 3") and "p99 5" in title


def test_histogram_percentiles_stay_within_the_observed_min_and_max():
    buckets = [[5, 10], [10, 40], [25, 100], ["+Inf", 100]]
    charts = by_name([point("dt", "histogram", T, count=60, sum=700, min=3.0, max=12.0,
                            buckets=[[5, 0], [10, 30], [25, 60], ["+Inf", 60]]),
                      point("dt", "histogram", T + 1, count=40, sum=600, min=2.5, max=19.88,
                            buckets=[[5, 10], [10, 10], [25, 40], ["+Inf", 40]])])
    title = charts["dt"]["figure"]["layout"]["title"]["text"]
    assert title.endswith("p50 12.5, p90 19.9, p99 19.9")
    merged = merge_buckets([{"buckets": buckets}])
    assert bucket_percentile(merged, 99) == pytest.approx(24.75)
    assert bucket_percentile(merged, 99, 2.5, 19.88) == 19.88
    assert bucket_percentile(merged, 1, 4.0, 19.88) == 4.0  # the first bucket starts at 0


def test_a_histogram_sent_over_rest_has_no_buckets_and_is_drawn_as_a_band():
    charts = by_name([point("h", "histogram", T, count=1, sum=7.0, min=7.0, max=7.0, last=7.0,
                            buckets=None)])
    assert charts["h"]["figure"]["data"][2]["y"] == [7.0]


def test_metric_names_are_escaped_and_sorted():
    charts = metric_figures([point("<b>z", "gauge", T, last=1), point("a", "gauge", T, last=2)])
    assert [c["name"] for c in charts] == ["<b>z", "a"]  # "<" sorts before letters
    assert charts[0]["figure"]["layout"]["title"]["text"].startswith("&lt;b&gt;z")


def test_percentile_interpolates():
    assert percentile([], 50) is None
    assert percentile([3.0], 95) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([4.0, 1.0, 3.0, 2.0], 100) == 4.0


def test_summary():
    assert summary([]) == {"count": 0, "mean": None, "median": None, "p95": None, "max": None}
    assert summary([1.0, 3.0]) == {"count": 2, "mean": 2.0, "median": 2.0, "p95": pytest.approx(2.9),
                                   "max": 3.0}


def test_bucket_percentiles_interpolate_within_a_bucket():
    buckets = merge_buckets([{"buckets": [[10, 50], [20, 100], ["+Inf", 100]]}])
    assert buckets == [(10.0, 50), (20.0, 100), (math.inf, 100)]
    assert bucket_percentile(buckets, 50) == 10.0
    assert bucket_percentile(buckets, 75) == 15.0
    assert bucket_percentile([(1.0, 0), (math.inf, 4)], 50) == 1.0  # in +Inf: the largest bound
    assert bucket_percentile([], 50) is None and bucket_percentile([(1.0, 0)], 50) is None


def test_point_value_by_type():
    assert point_value({"type": "counter", "sum": 5, "count": 2}) == 5
    assert point_value({"type": "timer", "sum": 5, "count": 2}) == 2.5
    assert point_value({"type": "histogram", "sum": None, "count": 0}) is None
    assert point_value({"type": "gauge", "last": 7, "sum": 9, "count": 2}) == 7
