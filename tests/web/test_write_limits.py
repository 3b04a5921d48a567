"""Integers JSON allows but the store cannot hold are 422, never a failed write (found by
schemathesis)."""

from __future__ import annotations

import gzip

import pytest

from datacat.web.errors import ApiError
from datacat.web.jsonio import LONG_NUMBER
from datacat.web.writes import check_numbers

HUGE = 2**64


@pytest.mark.parametrize("route, body, field", [
    ("state", {"level": {"xp": [1, HUGE]}}, "level.xp[1]"),
    ("events", {"name": "e", "data": {"n": -HUGE}}, "data.n"),
    ("events", {"name": "e", "source_line": HUGE}, "exception.line"),
    ("metrics", {"name": "m", "value": 1, "count": HUGE}, "count"),
])
def test_out_of_range_integers_are_422_and_write_nothing(web, route, body, field):
    sid = web.create()
    response = web.client.post(f"/api/sessions/{sid}/{route}", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == f"{field} holds an integer outside the 64-bit range"
    session = web.client.get(f"/api/sessions/{sid}").json()
    assert (session["event_count"], session["metric_count"], session["history_count"]) == (0, 0, 0)


def test_create_with_an_out_of_range_pid_is_422(web):
    response = web.client.post("/api/sessions", json={"product": "p", "version": "1", "pid": HUGE})
    assert response.status_code == 422 and "pid" in response.json()["detail"]


def test_the_64_bit_edges_pass():
    check_numbers({"state": [[0, {"a": 2**64 - 1, "b": -(2**63)}]]})
    with pytest.raises(ApiError):
        check_numbers({"state": [[0, {"b": -(2**63) - 1}]]})


def test_a_gzipped_body_with_an_out_of_range_number_is_422(web):
    sid = web.create()
    raw = gzip.compress(b'{"name": "e", "data": {"big": 18446744073709551616, "f": 1e400}}')
    response = web.client.post(f"/api/sessions/{sid}/events", content=raw,
                               headers={"Content-Encoding": "gzip",
                                        "Content-Type": "application/json"})
    assert response.status_code == 422 and "data." in response.json()["detail"], response.text
    assert web.client.get(f"/api/sessions/{sid}").json()["event_count"] == 0


@pytest.mark.parametrize("text, long", [
    (b'{"a": 123456789012345678, "b": 1.5e99, "c": "x"}', False),
    (b'{"a": 1234567890123456789}', True), (b'{"a": 1E+308}', True), (b'{"a": 1e-400}', True),
])
def test_numbers_that_may_not_fit_are_told_from_the_text(text, long):
    assert (LONG_NUMBER.search(text) is not None) is long
