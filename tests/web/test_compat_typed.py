"""A strict typed decode of the unversioned reads, with the original client's Go types."""

from __future__ import annotations

from datetime import datetime

import msgspec

from .conftest import unique


class Snapshot(msgspec.Struct):
    timestamp: datetime
    state: dict


class Event(msgspec.Struct):
    timestamp: datetime
    name: str
    category: str
    group: str
    labels: list[str]
    message: str
    data: dict
    stacktrace: list[str] = []
    exception_type: str = ""
    exception_msg: str = ""
    source_file: str = ""
    source_line: int = 0
    source_function: str = ""


class Metric(msgspec.Struct):
    timestamp: datetime
    name: str
    type: str
    value: float
    count: int | None = None
    unit: str = ""
    tags: list[str] = []
    metadata: dict = {}


class Session(msgspec.Struct):
    id: str
    created_at: datetime
    updated_at: datetime
    active: bool
    suspended: bool
    crashed: bool
    hung: bool
    state: dict
    ended_at: datetime | None = None
    last_heartbeat: datetime | None = None
    machine_id: str = ""
    hostname: str = ""
    state_history: list[Snapshot] = []
    events: list[Event] = []
    metrics: list[Metric] = []


def _session(web, sid: str) -> Session:
    response = web.client.get(f"/api/sessions/{sid}")
    assert response.status_code == 200, response.text
    return msgspec.json.decode(response.content, type=Session, strict=True)


def test_rest_written_session_decodes_strictly(web):
    sid = web.create(machine_id="m-1", hostname="host-1")
    post = web.client.post
    assert post(f"/api/sessions/{sid}/state", json={"phase": "a"}).status_code == 200
    assert post(f"/api/sessions/{sid}/state", json={
        "state": {"phase": "b"}, "timestamp": "2026-01-01T00:00:00Z"}).status_code == 200
    assert post(f"/api/sessions/{sid}/events", json={
        "name": "boom", "category": "error", "group": "core", "labels": ["x"],
        "message": "m", "data": {"k": 1}, "exception_type": "ValueError",
        "exception_msg": "bad", "stacktrace": ["f1", "f2"], "source_file": "a.py",
        "source_line": 7, "source_function": "f"}).status_code == 200
    for body in ({"name": "g", "type": "gauge", "value": 1.5, "tags": ["b:2", "a:1"]},
                 {"name": "c", "type": "counter", "value": 3, "tags": {"b": 2, "a": "x"}},
                 {"name": "h", "type": "histogram", "value": 2.0, "metadata": {"m": 1}},
                 {"name": "t", "type": "timer", "value": 0.25, "count": 4, "unit": "seconds"}):
        assert post(f"/api/sessions/{sid}/metrics", json=body).status_code == 200, body
    assert post(f"/api/sessions/{sid}/heartbeat", json={}).status_code == 200
    assert post(f"/api/sessions/{sid}/end", json={}).status_code == 200
    session = _session(web, sid)
    assert (session.machine_id, session.hostname, session.active) == ("m-1", "host-1", False)
    assert session.ended_at is not None and session.last_heartbeat is not None
    assert session.state["phase"] == "b" and len(session.state_history) == 2
    (event,) = session.events
    assert (event.exception_type, event.source_line, event.stacktrace) == ("ValueError", 7,
                                                                            ["f1", "f2"])
    by_name = {metric.name: metric for metric in session.metrics}
    assert set(by_name) == {"g", "c", "h", "t"}
    assert by_name["c"].tags == ["a:x", "b:2"] and by_name["c"].value == 3.0
    assert by_name["h"].metadata == {"m": 1} and by_name["t"].unit == "seconds"


def test_bare_session_decodes_with_nearest_valid_values(web):
    sid = web.create()
    session = _session(web, sid)
    assert (session.machine_id, session.hostname, session.state) == ("", "", {})
    assert session.ended_at is None and session.events == [] and session.metrics == []


def test_empty_histogram_renders_value_zero(web):
    sid = web.create()
    web.seed({sid: {"metrics": [{"ts": 1_700_000_000.0, "name": "h", "type": "histogram",
                                 "count": 0, "sum": None, "tags": {"z": 1, "a": 2}}]}})
    (metric,) = _session(web, sid).metrics
    assert (metric.value, metric.count, metric.tags) == (0.0, 0, ["a:2", "z:1"])


def test_exports_decode_strictly(web):
    product = unique("Typed")
    sids = [web.create(product, machine_id="m") for _ in range(2)]
    for path in ("/api/data/sessions", "/api/grafana/sessions"):
        body = web.client.get(path, params={"product": product}).content
        sessions = msgspec.json.decode(body, type=list[Session], strict=True)
        assert [s.id for s in sessions] == sids[::-1]


def test_original_daemon_requests_are_accepted_and_read_back(web):
    """The bodies the original's daemon POSTs: Go ``time.Time`` (nanoseconds, an offset)."""
    post = web.client.post
    created = post("/api/sessions", json={"product": unique("GoDaemon"), "version": "2.0",
                                          "machine_id": "mid", "hostname": "box"})
    assert created.status_code == 200, created.text
    sid = created.json()["session_id"]
    stamp = "2026-03-01T10:00:00.123456789+02:00"
    writes = [
        ("state", {"timestamp": stamp, "state": {"level": {"n": 1}}}),
        ("events", {"timestamp": stamp, "name": "exception", "category": "error",
                    "group": "main", "labels": ["l"], "message": "bad", "data": {},
                    "stacktrace": ["a", "b"], "exception_type": "E", "exception_msg": "bad",
                    "source_file": "main.go", "source_line": 12, "source_function": "main"}),
        ("metrics", {"timestamp": stamp, "name": "load_time", "type": "timer", "value": 1.5,
                     "count": 3, "unit": "seconds", "tags": ["env:ci"],
                     "metadata": {"buckets": [1, 2]}}),
        ("heartbeat", {}), ("crash", {"reason": "daemon_parent_process_exited"}),
    ]
    for route, body in writes:
        response = post(f"/api/sessions/{sid}/{route}", json=body)
        assert response.status_code == 200, (route, response.text)
    session = _session(web, sid)
    assert (session.machine_id, session.hostname, session.crashed) == ("mid", "box", True)
    assert session.state == {"level": {"n": 1}}
    assert session.state_history[0].timestamp.isoformat().startswith("2026-03-01T08:00:00.123")
    assert session.events[0].source_line == 12 and session.events[0].group == "main"
    (metric,) = session.metrics
    assert (metric.count, metric.tags, metric.metadata) == (3, ["env:ci"], {"buckets": [1, 2]})
