"""Store contract: events, metrics, paging."""

from __future__ import annotations

import pytest

from .support import ALL, T0, opened


def _events(feed, sid: str = "s", count: int = 700, per_batch: int = 70) -> None:
    feed.send({sid: {"open": opened()}})
    for start in range(0, count, per_batch):
        feed.send({sid: {"events": [{"ts": T0 + i, "name": f"e{i}", "level": "info", "i": i}
                                    for i in range(start, min(count, start + per_batch))]}})


def test_events_keep_order_and_get_seq(store, feed):
    _events(feed)
    assert store.get_session("s")["event_count"] == 700
    events = store.read("events", "s", 0, ALL)
    assert [event["seq"] for event in events] == list(range(700))
    assert [event["i"] for event in events] == list(range(700))
    assert events[300]["name"] == "e300" and events[300]["ts"] == T0 + 300
    assert events[300]["level"] == "info"


def test_events_interleaved_between_sessions(store, feed):
    feed.send({"a": {"open": opened()}, "b": {"open": opened()}})
    for n in range(6):
        feed.send({sid: {"events": [{"ts": T0 + n, "name": f"{sid}{n}.{j}"} for j in range(60)]}
                   for sid in ("a", "b")})
    for sid in ("a", "b"):
        events = store.read("events", sid, 0, ALL)
        assert [e["seq"] for e in events] == list(range(360))
        assert [e["name"] for e in events] == [f"{sid}{n}.{j}" for n in range(6) for j in range(60)]


@pytest.mark.parametrize("start,limit,expected", [
    (0, 0, []),
    (0, -1, []),
    (0, 1, [0]),
    (0, 10, list(range(10))),
    (250, 12, list(range(250, 262))),  # across a block boundary
    (255, 1, [255]),
    (256, 1, [256]),
    (256, 256, list(range(256, 512))),  # exactly one block
    (255, 258, list(range(255, 513))),  # touching three blocks
    (690, 100, list(range(690, 700))),  # runs past the end
    (699, 10, [699]),
    (700, 10, []),  # starts at the end
    (5000, 10, []),
    (-5, 3, [0, 1, 2]),  # a negative start counts as 0
    (0, ALL, list(range(700))),
], ids=lambda value: str(value) if not isinstance(value, list) else f"{len(value)}items")
def test_read_paging(store, feed, start, limit, expected):
    _events(feed)
    assert [event["seq"] for event in store.read("events", "s", start, limit)] == expected


def test_read_pages_cover_a_stream_exactly_once(store, feed):
    _events(feed)
    seen, start = [], 0
    while page := store.read("events", "s", start, 97):
        seen.extend(event["seq"] for event in page)
        start += len(page)
    assert seen == list(range(700))


def test_metrics_are_stored(store, feed):
    points = [{"ts": T0 + i, "name": f"m{i % 3}", "type": kind, "count": i + 1, "sum": 2.5 * i,
               "min": 0, "max": i, "last": i, "tags": {"k": "v"}}
              for i, kind in enumerate(["gauge", "counter", "histogram", "timer"] * 80)]
    feed.send({"s": {"open": opened(), "metrics": points[:100]}})
    feed.send({"s": {"metrics": points[100:]}})
    assert store.get_session("s")["metric_count"] == 320
    assert store.read("metrics", "s", 0, ALL) == points
    assert store.read("metrics", "s", 250, 10) == points[250:260]
