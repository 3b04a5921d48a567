"""``GET /api/sessions/{id}`` and the export arrays ``/api/data/sessions``, ``/api/grafana/...``."""

from __future__ import annotations

from datacat.protocol import Kind

from .conftest import unique

ORIGINAL_FIELDS = {"id", "created_at", "updated_at", "active",
                   "suspended", "crashed", "hung", "ended", "machine_id", "hostname", "state",
                   "state_history", "events", "metrics"}
OUR_FIELDS = {"product", "version", "status", "reason", "pid", "tags", "hangs", "event_count",
              "metric_count", "parent_session_id", "events_truncated", "metrics_truncated"}


def test_session_has_the_original_and_our_fields(web):
    sid = web.create(machine_id="m", hostname="h")
    body = web.client.get(f"/api/sessions/{sid}").json()
    assert ORIGINAL_FIELDS | OUR_FIELDS <= set(body)
    assert body["created_at"].endswith("Z") and "ended_at" not in body
    assert (body["state"], body["state_history"], body["events"], body["metrics"]) == (
        {}, [], [], [])
    assert body["events_truncated"] is False and body["hung"] is False


def test_hang_and_recovery_show_in_flags_and_hangs(web):
    sid = web.create()
    web.seed({sid: {"lifecycle": [[int(Kind.HANG), 1_800_000_000.0, {}]]}})
    hung = web.client.get(f"/api/sessions/{sid}").json()
    assert (hung["status"], hung["hung"], hung["active"]) == ("hung", True, True)
    web.seed({sid: {"lifecycle": [[int(Kind.RECOVER), 1_800_000_060.0, {}]]}})
    recovered = web.client.get(f"/api/sessions/{sid}").json()
    assert recovered["hung"] is False and recovered["hangs"] == [
        {"start": "2027-01-15T08:00:00.000000Z", "end": "2027-01-15T08:01:00.000000Z"}]


def test_events_and_history_are_capped_to_the_last_1000(web):
    sid = web.create()
    events = [{"ts": 1_700_000_000.0 + i, "name": "tick", "level": "info", "data": {"i": i}}
              for i in range(1005)]
    state = [[1_700_000_000.0 + i, {"i": i, "keep": {"n": i}}] for i in range(1003)]
    web.seed({sid: {"events": events, "state": state}})
    body = web.client.get(f"/api/sessions/{sid}").json()
    assert body["event_count"] == 1005 and body["events_truncated"] is True
    assert [e["data"]["i"] for e in body["events"]] == list(range(5, 1005))
    assert len(body["state_history"]) == 1000
    assert body["state_history"][0]["state"] == {"i": 3, "keep": {"n": 3}}
    assert body["state_history"][-1]["state"] == body["state"] == {"i": 1002, "keep": {"n": 1002}}


def test_capped_history_with_one_shared_timestamp_still_ends_at_the_state(web):
    sid = web.create()
    web.seed({sid: {"state": [[1_700_000_000.0, {f"k{i % 7}": i}] for i in range(1010)]}})
    body = web.client.get(f"/api/sessions/{sid}").json()
    assert len(body["state_history"]) == 1000
    assert body["state_history"][-1]["state"] == body["state"]


def test_export_streams_every_session_with_state(web):
    product = unique("Export")
    sids = [web.create(product) for _ in range(3)]
    web.client.post(f"/api/sessions/{sids[0]}/state", json={"k": "v"})
    for path in ("/api/data/sessions", "/api/grafana/sessions"):
        response = web.client.get(path, params={"product": product})
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        items = response.json()
        assert [s["id"] for s in items] == sids[::-1]
        assert items[-1]["state"] == {"k": "v"} and {"active", "crashed"} <= set(items[0])


def test_export_streams_past_one_store_page(web):
    product = unique("ExportMany")
    web.seed({f"{product}-{i}": {"open": {"product": product, "version": "1", "ts": 1e9 + i}}
              for i in range(450)})
    items = web.client.get("/api/data/sessions", params={"product": product}).json()
    assert len(items) == 450 and len({s["id"] for s in items}) == 450


def test_export_pages_with_limit_and_cursor_header(web):
    product = unique("ExportPage")
    sids = [web.create(product) for _ in range(5)]
    seen, cursor = [], None
    while True:
        params = {"product": product, "limit": 2, **({"cursor": cursor} if cursor else {})}
        response = web.client.get("/api/grafana/sessions", params=params)
        seen += [s["id"] for s in response.json()]
        cursor = response.headers.get("x-next-cursor")
        if cursor is None:
            break
    assert seen == sids[::-1]


def test_export_rejects_bad_parameters(web):
    for params in ({"limit": 0}, {"limit": "x"}, {"cursor": "not-a-cursor"}, {"status": "odd"}):
        response = web.client.get("/api/data/sessions", params=params)
        assert response.status_code == 400 and response.json()["error"] == "bad_parameter"
