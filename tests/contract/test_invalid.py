"""Store contract: invalid batches write nothing."""

from __future__ import annotations

import pytest

from datacat.broker.apply import apply
from datacat.broker.errors import InvalidBatch
from datacat.protocol import Kind

from .support import ALL, T0, life, opened, snapshot, table

BAD_PARTS = [
    ("part_not_map", ["open"]),
    ("open_not_map", {"open": "game"}),
    ("open_without_product", {"open": {"version": "1"}}),
    ("open_product_empty", {"open": opened(product="")}),
    ("open_product_control_char", {"open": opened(product="a\x1fb")}),
    ("open_version_int", {"open": opened(version=1)}),
    ("open_ts_string", {"open": opened(ts="yesterday")}),
    ("state_not_list", {"state": {"a": 1}}),
    ("state_entry_not_pair", {"state": [[T0, {"a": 1}, 3]]}),
    ("state_patch_not_map", {"state": [[T0, [1]]]}),
    ("state_ts_string", {"state": [["now", {"a": 1}]]}),
    ("events_none", {"events": None}),
    ("event_not_map", {"events": ["e"]}),
    ("event_without_name", {"events": [{"ts": T0}]}),
    ("event_ts_bool", {"events": [{"ts": True, "name": "e"}]}),
    ("event_level_int", {"events": [{"ts": T0, "name": "e", "level": 3}]}),
    ("event_data_list", {"events": [{"ts": T0, "name": "e", "data": [1]}]}),
    ("event_exception_line_bool", {"events": [{"ts": T0, "name": "e",
                                               "exception": {"line": True}}]}),
    ("open_pid_bool", {"open": opened(pid=True)}),
    ("metric_last_string", {"metrics": [{"ts": T0, "name": "m", "type": "gauge",
                                         "last": "60"}]}),
    ("metric_type_unknown", {"metrics": [{"ts": T0, "name": "m", "type": "sum"}]}),
    ("metric_without_ts", {"metrics": [{"name": "m", "type": "gauge"}]}),
    ("metrics_not_list", {"metrics": 5}),
    ("beat_string", {"beat": "now"}),
    ("lifecycle_open_kind", {"lifecycle": [[int(Kind.OPEN), T0, None]]}),
    ("lifecycle_unknown_kind", {"lifecycle": [[99, T0, None]]}),
    ("lifecycle_short", {"lifecycle": [[int(Kind.END), T0]]}),
    ("lifecycle_detail_string", {"lifecycle": [[int(Kind.END), T0, "normal"]]}),
    ("lifecycle_not_list", {"lifecycle": {"end": T0}}),
]
BAD_SIDS = [("sid_empty", ""), ("sid_too_long", "s" * 65), ("sid_control_char", "a\nb")]


def _good_parts() -> dict:
    return {"good": {"state": [[T0 + 1, {"b": 2}]], "events": [{"ts": T0, "name": "more"}],
                     "lifecycle": [life(Kind.END, T0 + 2, reason="normal")]},
            "new": {"open": opened(product="other")}}


def _assert_rejected_without_writes(store, feed, sessions: dict) -> None:
    before = snapshot(store, "good", "new", "bad")
    with pytest.raises(InvalidBatch):
        feed.send(sessions, seq=2)
    assert snapshot(store, "good", "new", "bad") == before
    feed.send(_good_parts(), seq=2)  # the rejected batch did not use up its seq
    assert store.get_session("good")["status"] == "ended"


@pytest.fixture
def seeded(store, feed):
    feed.send({"good": {"open": opened(), "state": [[T0, {"a": 1}]]}}, seq=1)
    return store, feed


@pytest.mark.parametrize("part", table(BAD_PARTS))
def test_invalid_part_raises_and_writes_nothing(seeded, part):
    store, feed = seeded
    _assert_rejected_without_writes(store, feed, {**_good_parts(), "bad": part})


@pytest.mark.parametrize("sid", table(BAD_SIDS))
def test_invalid_session_id_raises_and_writes_nothing(seeded, sid):
    store, feed = seeded
    _assert_rejected_without_writes(store, feed, {**_good_parts(), sid: {"open": opened()}})


@pytest.mark.parametrize("batch", [
    {"daemon_id": "d", "seq": "2", "sessions": {"x": {"open": opened()}}},
    {"daemon_id": "d", "seq": None, "sessions": {"x": {"open": opened()}}},
    {"daemon_id": "d", "seq": -1, "sessions": {"x": {"open": opened()}}},
    {"daemon_id": 5, "seq": 1, "sessions": {"x": {"open": opened()}}},
    {"daemon_id": "d", "seq": 1, "sessions": [["x", {}]]},
    {"daemon_id": "d", "seq": 1},
    ["not", "a", "batch"],
], ids=["seq_string", "seq_none", "seq_negative", "daemon_id_int", "sessions_list",
        "no_sessions", "not_a_map"])
def test_invalid_batch_envelope_raises_invalid_batch(store, batch):
    with pytest.raises(InvalidBatch):
        apply(store, batch, now=T0)
    assert store.get_session("x") is None and store.products() == []


def test_ingest_skips_only_the_invalid_session_part(store):
    batch = {"daemon_id": "d", "seq": 1, "sessions": {
        "good": {"open": opened(), "events": [{"ts": T0, "name": "kept"}]},
        "bad": {"open": opened(product=""), "events": [{"ts": T0, "name": "x"}]}}}
    result = apply(store, batch, skip_invalid=True)
    assert result.rejected == {"bad": "bad_field"} and result.events == 1
    assert [e["name"] for e in store.read("events", "good", 0, ALL)] == ["kept"]
    assert store.get_session("bad") is None


def test_a_recursion_bomb_is_rejected_before_the_merge(store):
    bomb: dict = {}
    for _ in range(5_000):
        bomb = {"k": bomb}
    with pytest.raises(InvalidBatch) as error:
        apply(store, {"sessions": {"s": {"open": opened(), "state": [[T0, bomb]]}}})
    assert error.value.reason == "too_deep"
    assert store.get_session("s") is None
