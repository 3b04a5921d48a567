"""``Idempotency-Key`` on REST writes: a retry gets the first answer and writes nothing."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from .conftest import start_web, stop_web, unique


def _key() -> dict:
    return {"Idempotency-Key": str(uuid.uuid4())}


def test_a_repeated_create_returns_the_first_session_and_creates_no_other(web):
    product, headers = unique("Idem"), _key()
    first = web.client.post("/api/sessions", json={"product": product, "version": "1"},
                            headers=headers)
    again = web.client.post("/api/sessions", json={"product": product, "version": "1"},
                            headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    listed = web.client.get("/api/v1/sessions", params={"product": product}).json()["items"]
    assert [s["id"] for s in listed] == [first.json()["session_id"]]


@pytest.mark.parametrize(("route", "body"), [
    ("events", {"name": "e"}), ("metrics", {"name": "m", "value": 2}), ("state", {"n": 1}),
    ("heartbeat", {}), ("crash", {"reason": "r"}),
])
def test_a_repeated_write_applies_once(web, route, body):
    sid, headers = web.create(), _key()
    answers = [web.client.post(f"/api/sessions/{sid}/{route}", json=body, headers=headers)
               for _ in range(3)]
    assert [a.status_code for a in answers] == [200] * 3
    assert all(a.json() == {"status": "ok"} for a in answers)
    session = web.client.get(f"/api/v1/sessions/{sid}").json()
    counts = {"events": session["event_count"], "metrics": session["metric_count"],
              "state": session["history_count"]}
    assert counts.get(route, 1) == 1
    if route == "crash":
        assert session["status"] == "crashed"


def test_retries_in_parallel_write_once(web):
    sid, headers = web.create(), _key()
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: web.client.post(
            f"/api/sessions/{sid}/events", json={"name": "e"}, headers=headers), range(8)))
    assert {a.status_code for a in answers} == {200}
    assert web.client.get(f"/api/v1/sessions/{sid}").json()["event_count"] == 1


def test_without_a_key_or_with_another_every_write_applies(web):
    sid = web.create()
    for headers in ({}, {}, _key(), _key()):
        assert web.client.post(f"/api/sessions/{sid}/events", json={"name": "e"},
                               headers=headers).status_code == 200
    assert web.client.get(f"/api/v1/sessions/{sid}").json()["event_count"] == 4


def test_a_key_reused_for_another_request_is_422_and_writes_nothing(web):
    sid, headers = web.create(), _key()
    assert web.client.post(f"/api/sessions/{sid}/events", json={"name": "a"},
                           headers=headers).status_code == 200
    other = web.client.post(f"/api/sessions/{sid}/events", json={"name": "b"}, headers=headers)
    assert other.status_code == 422 and other.json()["error"] == "idempotency_mismatch"
    assert web.client.get(f"/api/v1/sessions/{sid}").json()["event_count"] == 1


def test_a_failed_write_is_not_remembered(web):
    sid, headers = web.create(), _key()
    bad = web.client.post(f"/api/sessions/{sid}/events", json={"name": ""}, headers=headers)
    assert bad.status_code == 400
    missing = web.client.post("/api/sessions/no-such/events", json={"name": "e"}, headers=headers)
    assert missing.status_code == 404


@pytest.mark.parametrize("key", [b"", b"x" * 256, "caf\u00e9".encode(), b"a\tb"])
def test_a_malformed_key_is_400(web, key):
    sid = web.create()
    response = web.client.post(f"/api/sessions/{sid}/events", json={"name": "e"},
                               headers={"Idempotency-Key": key})
    assert response.status_code == 400 and response.json()["error"] == "bad_header"
    assert web.client.get(f"/api/v1/sessions/{sid}").json()["event_count"] == 0


def test_keys_hold_across_web_processes_and_restarts(tmp_path):
    store_url = f"diskcache://{tmp_path / 'store'}"
    process, url, _ = start_web(tmp_path, store_url)
    headers = _key()
    try:
        first = httpx.post(url + "/api/sessions", json={"product": "P", "version": "1"},
                           headers=headers, timeout=10)
    finally:
        assert stop_web(process) == 0
    process, url, _ = start_web(tmp_path, store_url)
    try:
        again = httpx.post(url + "/api/sessions", json={"product": "P", "version": "1"},
                           headers=headers, timeout=10)
        listed = httpx.get(url + "/api/v1/sessions", timeout=10).json()["items"]
    finally:
        assert stop_web(process) == 0
    assert again.json() == first.json() and len(listed) == 1
