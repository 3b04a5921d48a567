"""Overview, product and cross-session metric view models, and escaping in the templates."""

from __future__ import annotations

import pytest

from datacat.web.dashboard.crossmetric import cross_metric, read_points
from datacat.web.dashboard.overview import overview
from datacat.web.dashboard.product import CrashSignatures, product_page
from datacat.web.dashboard.render import ENV, duration, when
from datacat.web.dashboard.statetree import state_tree
from datacat.web.slicing import Slice

from .conftest import T0, add
from .test_listing import summaries

EVIL = "<script>alert(1)</script>"


def test_overview_counts_figures_and_recent_incidents(store):
    add(store, "a", version="1", at=T0, hang=(T0 + 1, T0 + 2))
    add(store, "b", version="1", at=T0 + 20, end="crash")
    add(store, "c", version="2", at=T0 + 40, end=None)
    add(store, "d", product="Other", version="9", at=T0 + 60, end=None, hang=(T0 + 61, None))
    data = overview(store, T0 + 100)
    assert data["total"] == 4 and data["live"] == 2 and data["ever_hung"] == 2
    assert data["by_status"] == {"active": 1, "ended": 1, "crashed": 1, "hung": 1, "suspended": 0,
                                 "lost": 0}
    assert [(r["id"], r["kind"], r["status"], r["reason"]) for r in data["recent"]] == [
        ("d", "hang", "hung", "still hung"), ("b", "crash", "crashed", "unhandled_exception"),
        ("a", "hang", "hung", "recovered")]
    assert data["products"] == [{"product": "Orbit", "total": 3}, {"product": "Other", "total": 1}]
    assert "per hour" in data["figures"]["over_time"]["layout"]["title"]["text"]
    assert data["figures"]["rates"]["data"][0]["x"] == ["Orbit 1", "Orbit 2", "Other 9"]


def test_a_hang_that_lasted_until_the_end_is_listed_as_a_hang_not_as_ended(store):
    add(store, "e", at=T0, hang=(T0 + 1, None))  # ended at T0 + 10, still hung
    (row,) = overview(store, T0 + 100)["recent"]
    assert (row["kind"], row["status"], row["reason"]) == ("hang", "hung", "ended while hung")


def test_overview_counts_per_day_over_a_long_span(store):
    add(store, "old", at=T0 - 10 * 86400)
    add(store, "new", at=T0)
    assert "per day" in overview(store, T0)["figures"]["over_time"]["layout"]["title"]["text"]


def test_product_page_compares_versions(store):
    exception = {"type": "ValueError", "message": "bad\nsecond line"}
    for n in range(4):
        add(store, f"a{n}", version="1.0", at=T0 + n, end="crash" if n == 0 else "end",
            events=[{"ts": T0 + n, "name": "exception", "level": "error", "exception": exception}])
    add(store, "b0", version="1.1", at=T0 + 10, end="crash", hang=(T0 + 11, T0 + 12))
    add(store, "b1", version="1.1", at=T0 + 11, end=None)
    add(store, "x", product="Else", at=T0)
    data = product_page(store, "Orbit", CrashSignatures(), T0 + 100)
    one, two = data["rows"]
    assert (one["version"], one["total"], one["crash_free"], one["hang_rate"]) == ("1.0", 4, 75.0, 0.0)
    assert one["median_seconds"] == pytest.approx(10.0, rel=0.01)
    assert one["reasons"] == [("ValueError: bad", 1)]
    assert (two["version"], two["total"], two["crash_free"], two["hang_rate"]) == ("1.1", 2, 50.0, 50.0)
    assert two["reasons"] == [("unhandled_exception", 1)]  # no exception: the stored reason
    assert data["reasons"] == [("ValueError: bad", 1), ("unhandled_exception", 1)]
    assert data["crashed_total"] == 2 and data["sampled"] == 2
    assert [t["x"] for t in data["figure"]["data"]][0] == ["1.0", "1.1"]
    sessions, machines = data["adoption"]["data"][:2], data["adoption"]["data"][2:]
    assert [(t["name"], t["y"]) for t in sessions] == [("1.0", [4]), ("1.1", [2])]
    assert [t["y"] for t in machines] == [[0], [0]]  # no machine ids given
    assert product_page(store, "Nothing", CrashSignatures(), T0) is None


def test_cross_metric_picks_the_most_common_name_and_aggregates_per_session(store):
    def gauge(ts, value):
        return {"ts": ts, "name": "fps", "type": "gauge", "count": 1, "sum": value, "min": value,
                "max": value, "last": value}

    add(store, "a", metrics=[gauge(T0, 10.0), gauge(T0 + 1, 20.0),
                             {"ts": T0, "name": "kills", "type": "counter", "count": 2, "sum": 4}])
    add(store, "b", at=T0 + 5, metrics=[gauge(T0 + 5, 40.0),
                                        {"ts": T0 + 5, "name": "kills", "type": "counter", "count": 1,
                                         "sum": 1}, {"ts": T0 + 6, "name": "kills", "type": "counter",
                                                     "count": 1, "sum": 2}])
    points = read_points(store, list(summaries(store).values()))
    fps = cross_metric(points)
    assert fps["metric"] == "fps" and fps["names"] == ["fps", "kills"] and fps["sessions"] == 2
    assert sorted(fps["figures"]["distribution"]["data"][0]["x"]) == [15.0, 40.0]
    kills = cross_metric(points, "kills")
    assert sorted(kills["figures"]["distribution"]["data"][0]["x"]) == [3.0, 4.0]
    assert cross_metric({}, "fps")["metric"] == ""


@pytest.mark.parametrize("seconds, text", [(None, "—"), (4.24, "4.2 s"), (187, "3 min 07 s"),
                                           (7500, "2 h 05 min"), (3 * 86400 + 7200, "3 d 2 h")])
def test_duration_text(seconds, text):
    assert duration(seconds) == text


def test_when_text():
    assert when(None) == "—" and when(0) == "1970-01-01 00:00:00 UTC"


def test_templates_escape_user_data():
    html = ENV.get_template("product.html").render(
        path="/", product=EVIL, rows=[{"version": EVIL, "total": 1, "crashed": 0, "hung": 0,
                                        "crash_free": 100.0, "hang_rate": 0.0,
                                        "median_seconds": 1.0, "reasons": [(EVIL, 1)]}],
        figure={"data": [{"x": [EVIL]}], "layout": {}}, reasons=[(EVIL, 1)], sampled=1,
        crashed_total=1, adoption={"data": [], "layout": {}}, slice=Slice(tags=(EVIL,)),
        sliced={"examined": 1, "sampled": False})
    assert EVIL not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "\\u003cscript\\u003e" in html  # the figure's JSON cannot close its <script> block
    nodes, _ = state_tree({EVIL: {EVIL: EVIL}}, {})
    tree = ENV.get_template("_macros.html").module.tree(nodes, diff=True)
    assert "<script>" not in str(tree) and "&lt;script&gt;" in str(tree)
