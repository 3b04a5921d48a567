"""The original's write routes: request shapes, defaults, status codes and JSON errors."""

from __future__ import annotations

import uuid

import pytest

from .conftest import unique

WRITES = ("state", "events", "metrics", "heartbeat", "end", "crash")


def session(web, sid: str) -> dict:
    response = web.client.get(f"/api/sessions/{sid}")
    assert response.status_code == 200, response.text
    return response.json()


def post(web, sid: str, route: str, body=None, **kwargs):
    return web.client.post(f"/api/sessions/{sid}/{route}", json=body, **kwargs)


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", "detail"} and body["error"] == code and body["detail"]
    return body


def test_create_returns_a_uuid7_and_stores_the_open_fields(web):
    product = unique("Create")
    first = web.create(product, "2.0", machine_id="m-1", hostname="box", tags=["env:qa"])
    second = web.create(product, "2.0")
    assert first != second and uuid.UUID(first).version == 7
    got = session(web, first)
    assert (got["id"], got["product"], got["version"]) == (first, product, "2.0")
    assert (got["machine_id"], got["hostname"], got["tags"]) == ("m-1", "box", {"env": "qa"})
    assert got["status"] == "active" and got["active"] is True


@pytest.mark.parametrize("body", [{}, {"product": "x"}, {"version": "1"}, {"product": "", "version": "1"}])
def test_create_without_product_or_version_is_400(web, body):
    assert_error(web.client.post("/api/sessions", json=body), 400, "missing_field")


def test_create_with_an_empty_body_is_400(web):
    assert_error(web.client.post("/api/sessions"), 400, "missing_field")


@pytest.mark.parametrize("body", [
    {"product": 5, "version": "1"},
    {"product": "p", "version": "1", "hostname": ["h"]},
    {"product": "p", "version": "1", "tags": "env:qa"},
    {"product": "p\n", "version": "1"},
])
def test_create_with_wrong_types_is_422(web, body):
    assert_error(web.client.post("/api/sessions", json=body), 422, "invalid")


@pytest.mark.parametrize("raw", [b"{", b'{"product": "p",}', b"\xff\xfe", b'{"product": NaN}'])
def test_malformed_json_is_400(web, raw):
    response = web.client.post("/api/sessions", content=raw,
                               headers={"content-type": "application/json"})
    assert_error(response, 400, "bad_json")


@pytest.mark.parametrize("raw", [b"[1, 2]", b'"text"', b"3", b"[" * 5000 + b"]" * 5000])
def test_json_that_is_not_an_object_is_422(web, raw):
    response = web.client.post("/api/sessions", content=raw)
    assert_error(response, 422, "invalid")


@pytest.mark.parametrize("route", ["state", "events", "metrics"])
def test_an_empty_body_where_one_is_needed_is_400(web, route):
    assert_error(web.client.post(f"/api/sessions/{web.create()}/{route}"), 400, "bad_json")


def test_bare_and_wrapped_state_both_deep_merge(web):
    sid = web.create()
    assert post(web, sid, "state", {"player": {"hp": 100, "name": "ada"}, "level": 1}).json() == {
        "status": "ok"}
    body = {"state": {"player": {"hp": 80}}, "timestamp": "2030-01-02T03:04:05Z"}
    assert post(web, sid, "state", body).status_code == 200
    post(web, sid, "state", {"player": {"name": None}})
    got = session(web, sid)
    assert got["state"] == {"player": {"hp": 80}, "level": 1}
    history = got["state_history"]
    assert [h["state"] for h in history] == [
        {"player": {"hp": 100, "name": "ada"}, "level": 1},
        {"player": {"hp": 80, "name": "ada"}, "level": 1},
        {"player": {"hp": 80}, "level": 1},
    ]
    assert history[1]["timestamp"] == "2030-01-02T03:04:05.000000Z"


def test_a_bare_state_may_hold_a_key_named_timestamp(web):
    sid = web.create()
    post(web, sid, "state", {"timestamp": 5, "state": "loading"})
    assert session(web, sid)["state"] == {"timestamp": 5, "state": "loading"}


@pytest.mark.parametrize("body", [{"state": {"a": 1}, "timestamp": "yesterday"},
                                  {"state": {"a": 1}, "timestamp": 1e15}])
def test_a_wrapped_state_with_a_bad_timestamp_is_422(web, body):
    assert_error(post(web, web.create(), "state", body), 422, "invalid")


def test_state_deeper_than_the_protocol_allows_is_422(web):
    deep: dict = {}
    node = deep
    for _ in range(40):
        node["k"] = {}
        node = node["k"]
    assert_error(post(web, web.create(), "state", deep), 422, "invalid")


def test_event_category_defaults_and_exception_fields(web):
    sid = web.create()
    post(web, sid, "events", {"name": "plain"})
    post(web, sid, "events", {"name": "warned", "category": "warning", "group": "net",
                              "labels": ["a", "b"], "message": "hi", "data": {"x": 1}})
    post(web, sid, "events", {"name": "levelled", "level": "debug"})
    post(web, sid, "events", {
        "name": "boom", "exception_type": "ValueError", "exception_msg": "bad",
        "stacktrace": ["f.py:1", "g.py:2"], "source_file": "f.py", "source_line": 1,
        "source_function": "run", "timestamp": "2031-01-01T00:00:00+00:00"})
    events = session(web, sid)["events"]
    assert [(e["name"], e["category"], e["level"]) for e in events] == [
        ("plain", "info", "info"), ("warned", "warning", "warning"),
        ("levelled", "debug", "debug"), ("boom", "error", "error")]
    warned, boom = events[1], events[3]
    assert warned["group"] == "net" and warned["labels"] == ["a", "b"]
    assert (warned["message"], warned["data"]) == ("hi", {"x": 1})
    assert boom["exception"] == {"type": "ValueError", "message": "bad",
                                 "stacktrace": ["f.py:1", "g.py:2"], "file": "f.py",
                                 "line": 1, "function": "run"}
    assert (boom["exception_type"], boom["exception_msg"]) == ("ValueError", "bad")
    assert boom["stacktrace"] == ["f.py:1", "g.py:2"] and boom["source_line"] == 1
    assert boom["timestamp"] == "2031-01-01T00:00:00.000000Z"
    v1 = web.client.get(f"/api/v1/sessions/{sid}/events").json()["items"]
    assert v1[1]["category"] == "net" and v1[1]["level"] == "warning"


@pytest.mark.parametrize("body, status", [
    ({}, 400), ({"data": {}}, 400), ({"name": 3}, 422), ({"name": "e", "labels": "x"}, 422),
    ({"name": "e", "labels": [1]}, 422), ({"name": "e", "data": [1]}, 422),
    ({"name": "e", "source_line": "7"}, 422), ({"name": "e", "stacktrace": "x"}, 422),
])
def test_bad_events_are_rejected(web, body, status):
    response = post(web, web.create(), "events", body)
    assert_error(response, status, "missing_field" if status == 400 else "invalid")


def test_metric_tags_list_and_object_normalize_to_one_form(web):
    sid = web.create()
    post(web, sid, "metrics", {"name": "fps", "value": 59.5, "tags": ["scene:forest", "gpu",
                                                                       "url:http://x"]})
    post(web, sid, "metrics", {"name": "mem", "value": 3, "type": "counter", "unit": "MB",
                               "tags": {"scene": "cave", "n": 2}, "metadata": {"k": "v"},
                               "timestamp": 1900000000})
    fps, mem = session(web, sid)["metrics"]
    assert fps["tags"] == ["gpu", "scene:forest", "url:http://x"]
    assert (fps["type"], fps["value"], fps["count"], fps["sum"], fps["min"], fps["max"],
            fps["last"]) == ("gauge", 59.5, 1, 59.5, 59.5, 59.5, 59.5)
    assert mem["tags"] == ["n:2", "scene:cave"] and mem["unit"] == "MB"
    assert mem["type"] == "counter" and mem["value"] == 3 and mem["metadata"] == {"k": "v"}
    assert mem["timestamp"] == "2030-03-17T17:46:40.000000Z"


@pytest.mark.parametrize("body, status", [
    ({"value": 1}, 400), ({"name": "m"}, 400), ({"name": "m", "value": "1"}, 422),
    ({"name": "m", "value": True}, 422),
    ({"name": "m", "value": 1, "type": "summary"}, 422),
    ({"name": "m", "value": 1, "tags": [1]}, 422), ({"name": "m", "value": 1, "count": 0}, 422),
    ({"name": "m", "value": 1, "tags": {"a": {"b": 1}}}, 422),
])
def test_bad_metrics_are_rejected(web, body, status):
    response = post(web, web.create(), "metrics", body)
    assert_error(response, status, "missing_field" if status == 400 else "invalid")


def test_a_metric_value_json_cannot_hold_as_a_float_is_422(web):
    raw = b'{"name": "m", "value": 1e400}'
    response = web.client.post(f"/api/sessions/{web.create()}/metrics", content=raw)
    assert_error(response, 422, "invalid")


def test_heartbeat_then_end(web):
    sid = web.create()
    assert post(web, sid, "heartbeat").json() == {"status": "ok"}
    assert session(web, sid)["last_heartbeat"].endswith("Z")
    assert post(web, sid, "end").json() == {"status": "ok"}
    got = session(web, sid)
    assert (got["status"], got["reason"], got["ended"], got["active"]) == ("ended", "end", True,
                                                                          False)
    assert got["ended_at"] is not None
    post(web, sid, "crash")  # a finished session stays finished
    assert session(web, sid)["status"] == "ended"


@pytest.mark.parametrize("body, reason", [(None, "abnormal_termination"),
                                          ({"reason": "segfault"}, "segfault")])
def test_crash_reason(web, body, reason):
    sid = web.create()
    assert post(web, sid, "crash", body).json() == {"status": "ok"}
    got = session(web, sid)
    assert (got["status"], got["reason"], got["crashed"], got["active"]) == ("crashed", reason,
                                                                            True, False)
    assert got["events"][-1]["name"] == "session_crashed"


@pytest.mark.parametrize("route", WRITES)
def test_writes_to_an_unknown_session_are_404(web, route):
    body = {"state": {"a": 1}, "events": {"name": "e"}, "metrics": {"name": "m", "value": 1}}
    response = post(web, "no-such-session", route, body.get(route))
    assert_error(response, 404, "not_found")
    assert web.client.get("/api/sessions/no-such-session").status_code == 404


def test_wrong_method_is_405_with_allow(web):
    response = web.client.delete(f"/api/sessions/{web.create()}/state")
    assert_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["allow"]


def test_body_over_the_limit_is_413(web):
    response = web.client.post(f"/api/sessions/{web.create()}/state",
                               content=b'{"a": "' + b"x" * (2 * 1024 * 1024) + b'"}')
    assert_error(response, 413, "too_large")


def test_a_bad_request_leaves_other_sessions_untouched(web):
    good, other = web.create(), web.create()
    post(web, good, "state", {"a": 1})
    post(web, good, "events", {"name": "ok"})
    before = session(web, other), session(web, good)
    assert post(web, other, "events", {"name": "e", "labels": "bad"}).status_code == 422
    assert post(web, other, "state", [1]).status_code == 422
    assert web.client.post(f"/api/sessions/{other}/metrics", content=b"{oops").status_code == 400
    after = session(web, other), session(web, good)
    assert after == before
    assert after[0]["event_count"] == 0 and after[0]["state"] == {}
