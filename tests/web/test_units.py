"""Pure pieces without sockets: time parsing/formatting, tag and body normalization."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import pytest

from datacat.web.errors import ApiError
from datacat.web.jsonio import dumps
from datacat.web.serialize import metric_out, session_out
from datacat.web.timefmt import parse_time, to_rfc3339
from datacat.web.writes import normalize_tags, state_entry


@pytest.mark.parametrize("text, seconds", [
    ("2024-01-01T00:00:00Z", 1704067200.0), ("2024-01-01T01:00:00+01:00", 1704067200.0),
    ("2024-01-01T00:00:00.25z", 1704067200.25), ("2024-01-01T00:00:00", 1704067200.0),
    ("1704067200", 1704067200.0), (" 1704067200.5 ", 1704067200.5), (1704067200, 1704067200.0),
])
def test_parse_time(text, seconds):
    assert parse_time(text) == seconds


@pytest.mark.parametrize("value", ["", "soon", "inf", "nan", -1, 1e13, True, None, [1]])
def test_parse_time_rejects(value):
    with pytest.raises(ValueError):
        parse_time(value)


def test_to_rfc3339():
    assert to_rfc3339(1704067200.25) == "2024-01-01T00:00:00.250000Z"
    assert to_rfc3339(None) is None and to_rfc3339(1e300) is None


@pytest.mark.parametrize("ts", [1.9999995, 1.9999985, 0.0000005, -0.0000005, -1.5, 0, True,
                                -62135596800.0, 253402300799.9999996, 1700000000.123456789,
                                math.nan, math.inf, "soon"])
def test_to_rfc3339_rounds_and_refuses_as_datetime_does(ts):
    try:
        expected = datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds")
        expected = expected.replace("+00:00", "Z")
    except (OverflowError, OSError, ValueError, TypeError):
        expected = None
    assert to_rfc3339(ts) == to_rfc3339(ts) == expected  # the second from the cached second


@pytest.mark.parametrize("tags, expected", [
    (None, {}), ([], {}), (["a:b", "c", "d:e:f"], {"a": "b", "c": "", "d": "e:f"}),
    ({"a": "b", "n": 1.5, "t": True}, {"a": "b", "n": "1.5", "t": "true"}),
])
def test_normalize_tags(tags, expected):
    assert normalize_tags(tags) == expected


@pytest.mark.parametrize("tags", ["a:b", 3, [["a", "b"]], {"a": None}, {"a": [1]}])
def test_normalize_tags_rejects(tags):
    with pytest.raises(ApiError) as info:
        normalize_tags(tags)
    assert info.value.status == 422


@pytest.mark.parametrize("body, entry", [
    ({"a": 1}, [5.0, {"a": 1}]),
    ({"state": {"a": 1}}, [5.0, {"a": 1}]),
    ({"state": {"a": 1}, "timestamp": 7}, [7.0, {"a": 1}]),
    ({"state": {"a": 1}, "other": 2}, [5.0, {"state": {"a": 1}, "other": 2}]),
    ({"state": "x"}, [5.0, {"state": "x"}]),
])
def test_state_entry_bare_or_wrapped(body, entry):
    assert state_entry(body, 5.0) == entry


def test_dumps_never_emits_nan():
    assert json.loads(dumps({"a": [math.nan, math.inf, 1.0], "b": b"\xff"})) == {
        "a": [None, None, 1.0], "b": "\ufffd"}


@pytest.mark.parametrize("status, flags", [
    ("active", (True, False, False, False, False)), ("hung", (True, False, False, True, False)),
    ("ended", (False, False, False, False, True)), ("crashed", (False, False, True, False, False)),
    ("suspended", (False, True, False, False, False)), ("lost", (False,) * 5),
])
def test_status_flags(status, flags):
    out = session_out({"id": "s", "status": status})
    assert tuple(out[k] for k in ("active", "suspended", "crashed", "hung", "ended")) == flags


@pytest.mark.parametrize("kind, value", [("gauge", 3.0), ("counter", 12.0), ("histogram", 4.0),
                                         ("timer", 4.0)])
def test_metric_value_by_type(kind, value):
    point = {"ts": 0, "name": "m", "type": kind, "count": 3, "sum": 12.0, "last": 3.0}
    assert metric_out(point)["value"] == value
