"""The original's daemon talks to the unversioned routes as it does to the original's server.

It gzips every request body (``Content-Encoding: gzip``, on by default), sends Go's zero
values (``""``, ``[]``, ``{}``) for fields its client left out, stamps times as Go's
``time.Time`` (nanoseconds, a local offset) and forwards accumulated counters and
histograms as metrics whose metadata holds ``{le, count}`` buckets.
"""

from __future__ import annotations

import gzip
import json
import zlib

import pytest

from .conftest import unique
from .test_compat_typed import _session

STAMP = "2026-03-01T10:00:00.123456789+01:00"


def _post(web, path: str, body: dict, encoding: str | None = "gzip"):
    raw = json.dumps(body).encode()
    headers = {"content-type": "application/json"}
    if encoding == "gzip":
        raw, headers["content-encoding"] = gzip.compress(raw), "gzip"
    elif encoding == "deflate":
        raw, headers["content-encoding"] = zlib.compress(raw), "deflate"
    return web.client.post(path, content=raw, headers=headers)


def test_a_gzipping_daemons_whole_session_is_stored_and_reads_back_typed(web):
    created = _post(web, "/api/sessions", {"product": unique("GoDaemon"), "version": "2.0",
                                           "machine_id": "mid", "hostname": "box"})
    assert created.status_code == 200, created.text
    sid = created.json()["session_id"]
    histogram = {"buckets": [{"le": 0.1, "count": 1}, {"le": 1.0, "count": 3}],
                 "sum": 1.2, "count": 3}
    writes = [
        ("state", {"timestamp": STAMP, "state": {"app": {"status": "running"}}}),
        ("events", {"timestamp": STAMP, "name": "plain", "category": "", "group": "",
                    "labels": [], "message": "", "data": {}}),
        ("events", {"timestamp": STAMP, "name": "exception", "category": "error",
                    "group": "main", "labels": ["l"], "message": "boom", "data": {"k": 1},
                    "stacktrace": ["a", "b"], "exception_type": "E", "exception_msg": "boom",
                    "source_file": "main.go", "source_line": 7, "source_function": "main"}),
        ("metrics", {"timestamp": STAMP, "name": "requests", "type": "counter", "value": 5,
                     "tags": ["env:ci"]}),
        ("metrics", {"timestamp": STAMP, "name": "latency", "type": "histogram", "value": 0.4,
                     "unit": "seconds", "metadata": histogram}),
        ("metrics", {"timestamp": STAMP, "name": "load", "type": "timer", "value": 1.5,
                     "count": 3, "unit": "seconds"}),
        ("heartbeat", {}),
    ]
    for route, body in writes:
        response = _post(web, f"/api/sessions/{sid}/{route}", body)
        assert response.status_code == 200, (route, response.text)
    assert _post(web, f"/api/sessions/{sid}/end", {}, encoding=None).status_code == 200
    session = _session(web, sid)
    assert (session.machine_id, session.hostname, session.active) == ("mid", "box", False)
    assert session.state == {"app": {"status": "running"}}
    plain, error = session.events
    assert (plain.category, plain.group, plain.labels, plain.data) == ("info", "", [], {})
    assert (error.exception_type, error.source_line, error.stacktrace) == ("E", 7, ["a", "b"])
    by_name = {metric.name: metric for metric in session.metrics}
    assert by_name["requests"].tags == ["env:ci"] and by_name["requests"].value == 5
    assert by_name["latency"].metadata == histogram
    assert (by_name["load"].count, by_name["load"].value) == (3, 1.5)


def test_deflate_bodies_are_read_too(web):
    created = _post(web, "/api/sessions", {"product": "P", "version": "1"}, encoding="deflate")
    assert created.status_code == 200, created.text


@pytest.mark.parametrize(("headers", "raw", "status", "error"), [
    ({"content-encoding": "br"}, b"{}", 415, "unsupported_encoding"),
    ({"content-encoding": "gzip"}, b"not gzip at all", 400, "bad_encoding"),
    ({"content-encoding": "gzip"}, gzip.compress(b'{"name": "e"}')[:-12], 400, "bad_encoding"),
    ({"content-encoding": "gzip"}, gzip.compress(b" " * (4 * 1024 * 1024) + b"{}"), 413,
     "too_large"),
])
def test_bad_compressed_bodies_are_refused(web, headers, raw, status, error):
    sid = web.create()
    response = web.client.post(f"/api/sessions/{sid}/events", content=raw, headers=headers)
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert web.client.get(f"/api/v1/sessions/{sid}").json()["event_count"] == 0
