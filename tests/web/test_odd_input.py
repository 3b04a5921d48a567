"""Type-confused input never gives a 5xx: refused at write time, rendered if stored anyway."""

from __future__ import annotations

import time

import msgspec
import pytest

from datacat.broker.apply import apply
from datacat.broker.lifecycle import new_session
from datacat.broker.store.codec import pack

from .conftest import unique
from .test_compat_typed import Session


def _read_routes(sid: str) -> list[str]:
    """Every read route that shows one session (or lists it)."""
    at = time.time() + 60
    return [f"/api/sessions/{sid}", f"/api/v1/sessions/{sid}",
            f"/api/v1/sessions/{sid}/events", f"/api/v1/sessions/{sid}/metrics",
            f"/api/v1/sessions/{sid}/state/history", f"/api/v1/sessions/{sid}/state",
            f"/api/v1/sessions/{sid}/state?at={at}", f"/sessions/{sid}",
            f"/dashboard/sessions/{sid}/instant?event=0",
            f"/dashboard/sessions/{sid}/instant?change=0",
            "/api/data/sessions", "/api/data/sessions?limit=20", "/api/v1/sessions",
            "/sessions", "/api/v1/products", "/metrics"]


def assert_readable(get, sid: str, stored: bool = True) -> None:
    """Every route answers below 500; a stored session's own pages 200, typed as the original's.

    ``get(path)`` is an HTTP GET on the server under test.
    """
    for path in _read_routes(sid):
        response = get(path)
        assert response.status_code < 500, (path, response.text[:300])
        if stored and sid in path and "instant" not in path:
            assert response.status_code == 200, (path, response.text[:300])
    if stored:
        response = get(f"/api/sessions/{sid}")
        msgspec.json.decode(response.content, type=Session, strict=True)


def _assert_readable(web, sid: str, stored: bool = True) -> None:
    assert_readable(web.client.get, sid, stored)


#: REST bodies with a field of the wrong type, per write route.
REST_CONFUSED = [
    ("events", {"name": "e", "labels": [1, 2]}),
    ("events", {"name": "e", "exception_type": 5}),
    ("events", {"name": "e", "data": "not a map"}),
    ("events", {"name": "e", "stacktrace": "one string"}),
    ("events", {"name": "e", "source_line": "12"}),
    ("events", {"name": ["e"]}),
    ("metrics", {"name": "m", "value": 1, "tags": [1, 2]}),
    ("metrics", {"name": "m", "value": 1, "tags": {"k": [1]}}),
    ("metrics", {"name": "m", "value": "1"}),
    ("metrics", {"name": "m", "value": 1, "count": 1.5}),
    ("metrics", {"name": "m", "value": 1, "metadata": [1]}),
    ("state", [1, 2]),
]


@pytest.mark.parametrize(("route", "body"), REST_CONFUSED)
def test_rest_writes_with_wrong_types_are_4xx_and_the_session_stays_readable(web, route, body):
    sid = web.create(tags=["a:1"])
    response = web.client.post(f"/api/sessions/{sid}/{route}", json=body)
    assert 400 <= response.status_code < 500, response.text
    assert set(response.json()) == {"error", "detail"}
    _assert_readable(web, sid)


#: Session parts a (buggy or forged) daemon's batch may carry, each with one odd field
#: (also sent through a live broker and worker: ``test_odd_input_tier.py``).
PART_CONFUSED = {
    "event tags": {"events": [{"ts": 1.0, "name": "e", "labels": "ab"}]},
    "event exception": {"events": [{"ts": 1.0, "name": "e", "exception": "str"}]},
    "exception fields": {"events": [{"ts": 1.0, "name": "e", "exception": {"type": 1}}]},
    "event data": {"events": [{"ts": 1.0, "name": "e", "data": [1, 2]}]},
    "event level": {"events": [{"ts": 1.0, "name": "e", "level": 3}]},
    "metric tags": {"metrics": [{"ts": 1.0, "name": "m", "type": "gauge", "tags": [1, 2]}]},
    "metric count": {"metrics": [{"ts": 1.0, "name": "m", "type": "gauge", "count": "x"}]},
    "metric sum": {"metrics": [{"ts": 1.0, "name": "m", "type": "gauge", "sum": "x"}]},
    "open tags": {"open": {"product": "P", "version": "1", "tags": [1, 2]}},
    "open hostname": {"open": {"product": "P", "version": "1", "hostname": ["h"]}},
    "open pid": {"open": {"product": "P", "version": "1", "pid": "1"}},
}


def test_a_workers_apply_rejects_confused_parts_alone(web):
    good = unique("good")
    parts = {unique("odd"): part for part in PART_CONFUSED.values()}
    parts[good] = {"open": {"product": "P", "version": "1", "ts": time.time()},
                   "events": [{"ts": time.time(), "name": "fine", "labels": ["x"]}]}
    result = apply(web.store, {"sessions": parts}, skip_invalid=True)
    assert set(result.rejected.values()) == {"bad_field"}
    assert set(result.rejected) == set(parts) - {good}
    for sid in parts:
        _assert_readable(web, sid, stored=sid == good)
    assert web.client.get(f"/api/sessions/{good}").json()["events"][0]["labels"] == ["x"]


#: What an older or foreign writer may have left in the store.
STORED_EVENTS = [
    {"ts": 5.0, "name": "e", "labels": [1, 2], "exception": "str", "data": [1]},
    {"ts": "x", "name": 5, "level": 3, "category": [1], "message": {"a": 1}, "labels": "ab",
     "data": "x", "exception": {"type": 1, "message": ["m"], "stacktrace": 5, "line": "x"}},
    {"ts": None, "name": None, "labels": {"a": 1}, "exception": ["x"]},
    "not a map", 7, None,
]
STORED_METRICS = [
    {"ts": 5.0, "name": "m", "type": "gauge", "tags": [1, 2], "count": "x", "last": "y"},
    {"ts": "x", "name": 1, "type": 5, "tags": "str", "buckets": "str", "metadata": "x", "unit": 3},
    {"ts": 5.0, "name": "h", "type": "histogram", "tags": {"a": [1]}, "count": 3, "sum": None,
     "buckets": [[1, "x"], "y", None, [2, 3]], "min": "a", "max": [1]},
    "not a map", None,
]
STORED_HISTORY = [{"ts": 1.0, "patch": "str"}, {"ts": "x", "patch": {"a": 1}},
                  {"ts": 2.0, "patch": [1]}, "junk", {"ts": 3.0, "patch": {"b": {"c": 1}}}]
ODD_SESSIONS = {
    "plain": {},
    "fields": {"tags": [1, 2], "machine_id": 5, "hostname": ["x"], "pid": "x", "hangs": "str",
               "suspends": [1, None], "updated_at": "x", "ended_at": "y", "last_heartbeat": [1],
               "hang_timeout": "x", "parent_session_id": 3, "reason": {"a": 1}},
    "episodes": {"hangs": [{"start": "x", "end": None}, 5], "status": "bogus"},
}


@pytest.mark.parametrize("kind", list(ODD_SESSIONS))
def test_every_read_route_renders_odd_stored_records(web, kind):
    sid = unique(kind)
    def plant(view) -> None:  # below the write path: as if stored long ago
        raw = view._txn  # the diskcache store's transaction under this session's step
        session = new_session(sid, {"product": unique("Odd"), "version": "1", "ts": 1.0}, 1.0, None)
        session.update(ODD_SESSIONS[kind])
        session["event_count"] = raw._append_raw("e/" + sid, 0, STORED_EVENTS)
        session["metric_count"] = raw._append_raw("m/" + sid, 0, STORED_METRICS)
        session["history_count"] = raw._append_raw("h/" + sid, 0, STORED_HISTORY)
        raw._set_raw("st/" + sid, pack("a state that is not a map"))
        view.put_session(session)

    web.store.apply_parts([sid], plant)
    _assert_readable(web, sid)
    events = web.client.get(f"/api/v1/sessions/{sid}/events").json()["items"]
    assert [e["labels"] for e in events[:3]] == [["1", "2"], ["ab"], []]
    assert web.client.get(f"/api/v1/sessions/{sid}/state").json()["state"] == {}
    assert web.client.get(f"/api/v1/sessions/{sid}/state?at=2.5").json()["state"] == {"a": 1}


def test_a_capped_state_history_replays_past_odd_entries_before_the_cut(web):
    sid = unique("capped")
    history = ["junk", {"ts": 1.0, "patch": "str"}] + [
        {"ts": float(i), "patch": {"i": i}} for i in range(2, 1005)]

    def plant(view) -> None:  # below the write path: as if stored long ago
        raw = view._txn
        session = new_session(sid, {"product": unique("Odd"), "version": "1", "ts": 1.0}, 1.0, None)
        session["history_count"] = raw._append_raw("h/" + sid, 0, history)
        view.put_session(session)

    web.store.apply_parts([sid], plant)
    body = web.client.get(f"/api/sessions/{sid}").json()
    assert len(body["state_history"]) == 1000
    assert [entry["state"] for entry in body["state_history"][:2]] == [{"i": 5}, {"i": 6}]


def test_well_typed_records_are_read_as_stored():
    from datacat.web.records import event_record, metric_record, session_record

    event = {"seq": 0, "ts": 1.0, "recv": 1.0, "name": "e", "level": "info", "category": None,
             "labels": ["a"], "message": None, "data": {"k": [1]}, "exception": None}
    point = {"ts": 1.0, "name": "m", "type": "histogram", "count": 2, "sum": 3.0, "min": 1,
             "max": 2, "last": 2, "tags": {"k": "v"}, "buckets": [[1, 1], ["+Inf", 2]]}
    session = new_session("s", {"product": "P", "version": "1", "ts": 1.0}, 1.0, None)
    assert event_record(event) is event and metric_record(point) is point
    assert session_record(session) is session


#: Each write route with a body holding a lone surrogate escape (as a value, then as a key).
SURROGATE_WRITES = [
    ("", '{"product": "\\ud800", "version": "1"}'),
    ("/events", '{"name": "e", "message": "a\\udfffb"}'),
    ("/events", '{"name": "e", "data": {"\\ud800": 1}}'),
    ("/state", '{"a": {"\\udc00": 1}}'),
    ("/metrics", '{"name": "m", "value": 1, "tags": ["k:\\ud800"]}'),
    ("/crash", '{"reason": "\\ud800"}'),
]


@pytest.mark.parametrize(("route", "raw"), SURROGATE_WRITES)
def test_a_lone_surrogate_or_invalid_utf8_is_400(web, route, raw):
    sid = web.create()
    path = "/api/sessions" + (f"/{sid}{route}" if route else "")
    for body in (raw.encode(), raw.replace("\\ud800", "\xff").encode("latin-1")):
        response = web.client.post(path, content=body,
                                   headers={"content-type": "application/json"})
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "bad_json" and response.json()["detail"]
    _assert_readable(web, sid)


@pytest.mark.parametrize(("route", "raw"), [
    ("/state", '{"a": 1e400}'), ("/events", '{"name": "e", "data": {"x": -1e999}}'),
    ("/metrics", '{"name": "m", "value": 1, "metadata": {"x": [1e400]}}'),
])
def test_numbers_the_store_cannot_hold_are_422(web, route, raw):
    sid = web.create()
    response = web.client.post(f"/api/sessions/{sid}{route}", content=raw.encode())
    assert response.status_code == 422, response.text
    assert "too large" in response.json()["detail"]


@pytest.mark.parametrize("query", [
    "cursor=-5", "cursor=abc", "cursor=s-1", "cursor=5_0", "limit=-1", "limit=0", "limit=abc",
    "limit=1e3", "limit=99999999999999999999", "since=abc", "since=1e400", "until=-1",
    "status=nope",
])
def test_malformed_or_out_of_range_query_parameters_are_400(web, query):
    for path in ("/api/v1/sessions", "/api/data/sessions", "/api/grafana/sessions"):
        response = web.client.get(f"{path}?{query}")
        assert response.status_code == 400, (path, query, response.text)
        assert set(response.json()) == {"error", "detail"}


@pytest.mark.parametrize("query", ["start=-1", "start=x", "limit=0", "limit=1001", "limit=-5"])
def test_malformed_stream_paging_is_400(web, query):
    sid = web.create()
    for stream in ("events", "metrics", "state/history"):
        response = web.client.get(f"/api/v1/sessions/{sid}/{stream}?{query}")
        assert response.status_code == 400, (stream, query, response.text)
