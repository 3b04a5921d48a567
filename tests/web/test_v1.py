"""``/api/v1``: filtered cursor pages of sessions, paged streams, state at a time, products."""

from __future__ import annotations

import time

import pytest

from datacat.protocol import Kind

from .conftest import unique

T0 = 1_750_000_000.0


def seed_sessions(web, product: str, count: int, version: str = "1.0") -> list[str]:
    """``count`` sessions created at ``T0 + i`` seconds, stored oldest first."""
    sids = [f"{product}-{i:04d}" for i in range(count)]
    web.seed({sid: {"open": {"product": product, "version": version, "ts": T0 + i}}
              for i, sid in enumerate(sids)})
    return sids


def all_pages(web, path: str, **params) -> list[dict]:
    items, cursor = [], None
    while True:
        page = web.client.get(path, params={**params, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        body = page.json()
        assert set(body) == {"items", "next_cursor"}
        assert len(body["items"]) <= int(params.get("limit", 50))
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def test_cursor_pagination_has_no_duplicates_and_no_gaps(web):
    product = unique("Page")
    sids = seed_sessions(web, product, 120)
    items = all_pages(web, "/api/v1/sessions", product=product, limit=25)
    assert [s["id"] for s in items] == sids[::-1]


def test_filters_by_product_version_and_status(web):
    product = unique("Filter")
    old = seed_sessions(web, product, 3, version="1.0")
    new = [web.create(product, "2.0") for _ in range(2)]
    web.client.post(f"/api/sessions/{new[0]}/end")
    web.client.post(f"/api/sessions/{old[0]}/crash")

    def ids(**params):
        return [s["id"] for s in all_pages(web, "/api/v1/sessions", product=product, **params)]

    assert ids() == new[::-1] + old[::-1]
    assert ids(version="2.0") == new[::-1]
    assert ids(status="ended") == [new[0]]
    assert ids(status="crashed") == [old[0]]
    assert ids(status="active", version="1.0") == old[:0:-1]
    crashed = [s for s in all_pages(web, "/api/v1/sessions", status="crashed", limit=500)]
    assert old[0] in {s["id"] for s in crashed} and all(s["crashed"] for s in crashed)


@pytest.mark.parametrize("since, until, expected", [
    (str(T0 + 2), None, [4, 3, 2]),
    (None, "2025-06-15T15:06:41Z", [1, 0]),            # T0 + 1
    ("2025-06-15T15:06:41+00:00", str(T0 + 3), [3, 2, 1]),
    ("2025-06-15T15:06:41", None, [4, 3, 2, 1]),       # no offset: UTC
])
def test_since_and_until_accept_rfc3339_and_epoch_seconds(web, since, until, expected):
    product = unique("Time")
    sids = seed_sessions(web, product, 5)
    params = {"product": product, **({"since": since} if since else {}),
              **({"until": until} if until else {})}
    assert [s["id"] for s in all_pages(web, "/api/v1/sessions", **params)] == [
        sids[i] for i in expected]


@pytest.mark.parametrize("params, name", [
    ({"since": "last tuesday"}, "since"), ({"until": "2025-13-01T00:00:00Z"}, "until"),
    ({"since": "nan"}, "since"), ({"since": "5", "until": "4"}, "until"),
    ({"limit": "0"}, "limit"), ({"limit": "501"}, "limit"), ({"limit": "ten"}, "limit"),
    ({"status": "sleeping"}, "status"), ({"cursor": "garbage"}, "cursor"),
])
def test_bad_query_parameters_are_400_naming_the_parameter(web, params, name):
    response = web.client.get("/api/v1/sessions", params=params)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "bad_parameter" and repr(name) in body["detail"]


def test_limit_bounds_are_inclusive(web):
    for limit in (1, 500):
        assert web.client.get("/api/v1/sessions", params={"limit": limit}).status_code == 200


def test_session_by_id_with_state(web):
    sid = web.create(tags={"env": "ci"})
    web.client.post(f"/api/sessions/{sid}/state", json={"a": {"b": 1}})
    body = web.client.get(f"/api/v1/sessions/{sid}").json()
    assert body["id"] == sid and body["state"] == {"a": {"b": 1}} and body["tags"] == {"env": "ci"}
    assert body["history_count"] == 1 and "events" not in body


def test_events_are_paged_oldest_first(web):
    sid = web.create()
    web.seed({sid: {"events": [{"ts": T0 + i, "name": "e", "level": "info", "data": {"i": i}}
                               for i in range(250)]}})
    seen, start = [], 0
    while start is not None:
        body = web.client.get(f"/api/v1/sessions/{sid}/events",
                              params={"start": start, "limit": 100}).json()
        assert body["total"] == 250
        seen += [(e["seq"], e["data"]["i"]) for e in body["items"]]
        start = body["next"]
    assert seen == [(i, i) for i in range(250)]
    first = web.client.get(f"/api/v1/sessions/{sid}/events", params={"limit": 1}).json()
    assert first["items"][0]["timestamp"] == "2025-06-15T15:06:40.000000Z" and first["next"] == 1
    past = web.client.get(f"/api/v1/sessions/{sid}/events", params={"start": 999}).json()
    assert past == {"items": [], "next": None, "total": 250}


def test_metrics_points_keep_their_aggregates(web):
    sid = web.create()
    point = {"ts": T0, "name": "frame_ms", "type": "histogram", "unit": "ms", "tags": {},
             "count": 4, "sum": 20.0, "min": 1.0, "max": 10.0, "last": 3.0,
             "buckets": [[5, 3], ["+Inf", 4]]}
    web.seed({sid: {"metrics": [point]}})
    body = web.client.get(f"/api/v1/sessions/{sid}/metrics").json()
    got = body["items"][0]
    assert body["total"] == 1 and body["next"] is None
    assert (got["count"], got["sum"], got["value"], got["buckets"]) == (4, 20.0, 5.0,
                                                                      [[5, 3], ["+Inf", 4]])


def test_state_history_and_state_at(web):
    sid = web.create()
    web.seed({sid: {"state": [[T0, {"level": 1, "hp": 100}], [T0 + 10, {"level": 2}],
                              [T0 + 20, {"hp": None}]]}})
    history = web.client.get(f"/api/v1/sessions/{sid}/state/history",
                             params={"start": 1}).json()
    assert history["total"] == 3 and history["next"] is None
    assert [(h["index"], h["patch"]) for h in history["items"]] == [(1, {"level": 2}),
                                                                     (2, {"hp": None})]

    def state(**params):
        return web.client.get(f"/api/v1/sessions/{sid}/state", params=params).json()

    assert state() == {"at": None, "state": {"level": 2}}
    assert state(at=str(T0 + 15))["state"] == {"level": 2, "hp": 100}
    assert state(at="2025-06-15T15:06:40Z")["state"] == {"level": 1, "hp": 100}
    assert state(at=str(T0 - 1))["state"] == {}
    bad = web.client.get(f"/api/v1/sessions/{sid}/state", params={"at": "soon"})
    assert bad.status_code == 400 and "'at'" in bad.json()["detail"]


@pytest.mark.parametrize("path", ["", "/events", "/metrics", "/state", "/state/history"])
def test_unknown_session_is_404_on_every_v1_route(web, path):
    response = web.client.get(f"/api/v1/sessions/nope{path}")
    assert response.status_code == 404 and response.json()["error"] == "not_found"


@pytest.mark.parametrize("params", [{"start": -1}, {"limit": 0}, {"limit": 1001}, {"start": "x"}])
def test_bad_stream_paging_is_400(web, params):
    response = web.client.get(f"/api/v1/sessions/{web.create()}/events", params=params)
    assert response.status_code == 400 and response.json()["error"] == "bad_parameter"


def test_products_count_sessions_by_status(web):
    product = unique("Prod")
    sids = [web.create(product, "1.0") for _ in range(3)] + [web.create(product, "2.0")]
    web.client.post(f"/api/sessions/{sids[0]}/end")
    web.seed({sids[1]: {"lifecycle": [[int(Kind.CRASH), T0, {"reason": "x"}]]}})
    items = [r for r in web.client.get("/api/v1/products").json()["items"]
             if r["product"] == product]
    none = {"machines": 0, "crashed_machines": 0, "hung_machines": 0, "hung_sessions": 0,
            "crash_free_machines": None, "hang_free_machines": None,  # no machine ids
            "hang_free_sessions": 1.0, "hang_episodes": 0}
    started = [item.pop("first_seen") for item in items]
    assert all(time.time() - 600 < ts <= time.time() for ts in started)
    # one ended (about now) and one crashed (at T0, before it started: 0 s) of 1.0; none of 2.0
    assert [item.pop("median_duration") for item in items] == [0.0, None]
    assert items == [
        {"product": product, "version": "1.0", "total": 3,
         "by_status": {"active": 1, "ended": 1, "crashed": 1},
         "crash_free_sessions": pytest.approx(2 / 3), **none},
        {"product": product, "version": "2.0", "total": 1, "by_status": {"active": 1},
         "crash_free_sessions": 1.0, **none},
    ]
