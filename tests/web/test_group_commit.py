"""Concurrent REST writes share store transactions, and each still gets its own answer."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

WRITERS = 8
EACH = 15


def _concurrently(web, jobs: list) -> list:
    """Run ``job(client)`` for every job at once, each on its own connection."""
    start = threading.Barrier(len(jobs))

    def run(job):
        with httpx.Client(base_url=web.url, timeout=30) as client:
            start.wait()
            return job(client)

    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(run, jobs))


def _writer(sid: str, number: int):
    """A client writing ``EACH`` events in turn; returns its answers."""
    def job(client):
        return [client.post(f"/api/sessions/{sid}/events",
                            json={"name": "tick", "data": {"writer": number, "i": i}})
                for i in range(EACH)]
    return job


@pytest.mark.parametrize("shared", [True, False], ids=["one session", "a session each"])
def test_every_concurrent_event_is_stored_once_in_each_writers_order(web, shared):
    sids = [web.create()] * WRITERS if shared else [web.create() for _ in range(WRITERS)]
    answers = _concurrently(web, [_writer(sid, n) for n, sid in enumerate(sids)])
    assert all(a.status_code == 200 and a.json() == {"status": "ok"}
               for batch in answers for a in batch)
    for sid in set(sids):
        events = web.client.get(f"/api/v1/sessions/{sid}/events",
                                params={"limit": 1000}).json()["items"]
        assert [event["seq"] for event in events] == list(range(len(events)))
        seen = [(event["data"]["writer"], event["data"]["i"]) for event in events]
        assert len(seen) == len(set(seen)) == EACH * (WRITERS if shared else 1)
        for writer in {w for w, _ in seen}:
            assert [i for w, i in seen if w == writer] == list(range(EACH))


def test_bad_writes_in_a_group_get_their_own_errors_and_cost_the_others_nothing(web):
    sid = web.create()
    key = {"Idempotency-Key": "group-commit-key"}

    def unknown(client):
        return [client.post("/api/sessions/0190b5a1-0000-7000-8000-00000000dead/events",
                            json={"name": "lost"}) for _ in range(EACH)]

    def retried(client):
        return [client.post(f"/api/sessions/{sid}/events", json={"name": "keyed"}, headers=key)
                for _ in range(EACH)]

    def mismatched(client):
        return [client.post(f"/api/sessions/{sid}/metrics", json={"name": "m", "value": 1},
                            headers=key) for _ in range(EACH)]

    good, lost, keyed, other = _concurrently(web, [_writer(sid, 0), unknown, retried,
                                                   mismatched])
    assert {a.status_code for a in good} == {200}
    assert {(a.status_code, a.json()["error"]) for a in lost} == {(404, "not_found")}
    # one request under the key is written; its twins are replayed, the others refused
    first = [a for a in keyed + other if a.status_code == 200
             and "idempotent-replayed" not in a.headers]
    assert len(first) == 1
    for answer in keyed + other:
        if answer is not first[0]:
            same = answer.request.url.path == first[0].request.url.path
            assert answer.status_code == (200 if same else 422), answer.text
    session = web.client.get(f"/api/v1/sessions/{sid}").json()
    names = [e["name"] for e in web.client.get(f"/api/v1/sessions/{sid}/events",
                                               params={"limit": 1000}).json()["items"]]
    assert names.count("tick") == EACH
    assert names.count("keyed") + session["metric_count"] == 1
