"""``/api/v1/issues`` on a live server: groups, figures, release status, filters, paging."""

from __future__ import annotations

import pytest

from datacat.broker.fingerprint import fingerprint
from datacat.protocol import Kind
from datacat.web.timefmt import to_rfc3339

from .conftest import unique

T0 = 1_760_000_000.0


def exception(kind: str, function: str) -> dict:
    return {"type": kind, "message": f"{kind} <b>happened</b>", "stacktrace": ["Traceback\n"],
            "frames": [["/app/main.py", "main", 3, True], ["/app/work.py", function, 9, True]]}


@pytest.fixture(scope="module")
def seeded(web):
    """Product P: A in 1.0 (two machines) and 3.0, none in 2.0; B in 2.0 only."""
    product, tag = unique("Issues"), unique("E")
    a, b = exception(tag + "A", "save"), exception(tag + "B", "load")
    plan = [("1.0", "m1", [a, a]), ("1.0", "m2", [a]), ("2.0", "m1", [b]), ("2.0", "m3", []),
            ("3.0", "m2", [a])]
    sids = []
    for n, (version, machine, raised) in enumerate(plan):
        sid = unique("s")
        sids.append(sid)
        web.seed({sid: {"open": {"product": product, "version": version, "ts": T0 + n,
                                 "machine_id": machine},
                        "events": [{"ts": T0 + n * 10 + k, "name": "exception", "level": "error",
                                    "exception": raised_one}
                                   for k, raised_one in enumerate(raised)]}})
    return product, fingerprint(a), fingerprint(b), sids


def issues(web, **params) -> dict:
    response = web.client.get("/api/v1/issues", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_issues_are_grouped_with_their_figures_and_release_status(web, seeded):
    product, a, b, _ = seeded
    body = issues(web, product=product)
    assert [(i["fingerprint"], i["count"], i["sessions"], i["machines"])
            for i in body["items"]] == [(a, 4, 3, 2), (b, 1, 1, 1)]
    assert body["next_cursor"] is None
    first = body["items"][0]
    assert first["first_version"] == {product: "1.0"}
    assert [(v["version"], v["count"], v["machines"], v["status"]) for v in first["versions"]] \
        == [("1.0", 3, 2, "new"), ("3.0", 1, 1, "regressed")]
    assert (first["first_seen"], first["last_seen"]) == (to_rfc3339(T0), to_rfc3339(T0 + 40))
    assert body["items"][1]["versions"][0]["status"] == "new"


def test_filters_by_version_status_and_time(web, seeded):
    product, a, b, _ = seeded
    assert [i["fingerprint"] for i in issues(web, product=product, version="3.0",
                                             status="regressed")["items"]] == [a]
    assert [i["fingerprint"] for i in issues(web, product=product, version="2.0",
                                             status="new")["items"]] == [b]
    assert issues(web, product=product, version="2.0", status="regressed")["items"] == []
    only = issues(web, product=product, version="1.0")["items"]
    assert [(i["fingerprint"], i["count"], i["machines"]) for i in only] == [(a, 3, 2)]
    late = issues(web, product=product, since=T0 + 25)["items"]
    assert [i["fingerprint"] for i in late] == [a]  # B was last seen at T0 + 20
    assert issues(web, product=product, until=T0 - 1)["items"] == []


@pytest.mark.parametrize("sort", ["count", "machines", "last_seen"])
def test_cursor_paging_visits_every_issue_once(web, seeded, sort):
    product, a, b, _ = seeded
    seen, cursor = [], None
    while True:
        body = issues(web, product=product, sort=sort, limit=1,
                      **({"cursor": cursor} if cursor else {}))
        seen += [i["fingerprint"] for i in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [a, b]


def test_an_issue_shows_its_sample_stacks_and_sessions(web, seeded):
    product, a, _, sids = seeded
    response = web.client.get(f"/api/v1/issues/{a}")
    assert response.status_code == 200, response.text
    issue = response.json()
    assert issue["type"].endswith("A") and issue["message"].endswith("<b>happened</b>")
    assert [(s["session_id"], s["seq"]) for s in issue["samples"]] == [
        (sids[0], 0), (sids[0], 1), (sids[1], 0), (sids[4], 0)]
    assert issue["samples"][0]["event"]["exception"]["frames"][1][1] == "save"
    assert [s["id"] for s in issue["affected_sessions"]] == [sids[0], sids[1], sids[4]]
    assert issue["affected_sessions"][2]["version"] == "3.0"


@pytest.mark.parametrize("params", [{"sort": "size"}, {"cursor": "nope"}, {"version": "1.0"},
                                    {"product": "p", "status": "new"}, {"limit": 0},
                                    {"since": "2025-01-02T00:00:00Z", "until": "2025-01-01T00:00:00Z"}])
def test_bad_parameters_are_named(web, params):
    response = web.client.get("/api/v1/issues", params=params)
    assert response.status_code == 400 and response.json()["error"] == "bad_parameter"
    assert next(iter(params)) in response.json()["detail"] or "until" in response.json()["detail"]


def test_an_unknown_issue_is_404(web):
    response = web.client.get("/api/v1/issues/0123456789abcdef")
    assert response.status_code == 404 and response.json()["error"] == "not_found"


def test_products_carry_crash_free_and_hang_free_sessions_and_machines(web):
    product = unique("Health")
    crash = [[int(Kind.CRASH), T0 + 9, {"reason": "process_vanished"}]]
    end = [[int(Kind.END), T0 + 9, {"reason": "end"}]]
    hang = [[int(Kind.HANG), T0 + 5, {"since_last_beat": 5.0}],
            [int(Kind.RECOVER), T0 + 7, {}]] + end
    plan = [("m1", crash), ("m1", hang), ("m2", end), (None, crash), ("m3", [])]
    web.seed({unique("s"): {"open": {"product": product, "version": "1.0", "ts": T0,
                                     "machine_id": machine}, "lifecycle": records}
              for machine, records in plan})
    items = [i for i in web.client.get("/api/v1/products").json()["items"]
             if i["product"] == product]
    assert [(i["total"], i["machines"], i["crashed_machines"], i["crash_free_sessions"],
             i["crash_free_machines"]) for i in items] == [(5, 3, 1, pytest.approx(0.6),
                                                            pytest.approx(2 / 3))]
    assert [(i["hung_sessions"], i["hung_machines"], i["hang_free_sessions"],
             i["hang_free_machines"]) for i in items] == [(1, 1, pytest.approx(0.8),
                                                           pytest.approx(2 / 3))]
