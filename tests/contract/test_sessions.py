"""Store contract: sessions and state."""

from __future__ import annotations

import pytest

from datacat.broker.store import SessionQuery
from datacat.merge import deep_merge

from .support import ALL, T0, opened


def test_unknown_session_reads_empty(store):
    assert store.get_session("nope") is None
    assert store.get_state("nope") == {}
    assert store.state_at("nope", T0) == {}
    for stream in ("events", "metrics", "history"):
        assert store.read(stream, "nope") == []
    assert store.products() == []
    assert store.list_sessions(SessionQuery()).items == []


def test_create_and_get_session(store, feed):
    open_part = opened(pid=4242, hostname="host-1", machine_id="m-1", tags={"env": "ci"},
                       hang_timeout=30.0)
    result = feed.send({"s1": {"open": open_part}})
    assert result.sessions == 1
    session = store.get_session("s1")
    assert {key: session[key] for key in ("id", "product", "version", "status", "created_at",
                                          "pid", "hostname", "machine_id", "tags",
                                          "hang_timeout", "ended_at", "reason")} == {
        "id": "s1", "product": "game", "version": "1.0", "status": "active",
        "created_at": T0, "pid": 4242, "hostname": "host-1", "machine_id": "m-1",
        "tags": {"env": "ci"}, "hang_timeout": 30.0, "ended_at": None, "reason": None}
    assert session["updated_at"] == feed.now
    assert session["daemon_id"] == "daemon-1"
    assert (session["event_count"], session["metric_count"], session["history_count"]) == (
        0, 0, 0)
    assert store.get_state("s1") == {}


def test_heartbeat_keeps_the_latest(store, feed):
    feed.send({"s": {"open": opened(), "beat": T0 + 5}})
    feed.send({"s": {"beat": T0 + 3}})  # a late, older beat does not move it back
    assert store.get_session("s")["last_heartbeat"] == T0 + 5
    feed.send({"s": {"beat": T0 + 9}})
    assert store.get_session("s")["last_heartbeat"] == T0 + 9


def test_state_merges_across_batches(store, feed):
    feed.send({"s": {"open": opened(), "state": [[T0, {"a": 1, "p": {"hp": 10, "inv": ["x"]}}]]}})
    feed.send({"s": {"state": [[T0 + 1, {"p": {"hp": 9}, "b": 2}]]}})
    feed.send({"s": {"state": [[T0 + 2, {"a": None, "p": {"inv": ["y", "z"]}}],
                               [T0 + 3, {"p": {"pos": {"x": 1}}}]]}})
    assert store.get_state("s") == {"b": 2, "p": {"hp": 9, "inv": ["y", "z"], "pos": {"x": 1}}}
    assert store.get_session("s")["history_count"] == 4
    assert [entry["ts"] for entry in store.read("history", "s", 0, ALL)] == [
        T0, T0 + 1, T0 + 2, T0 + 3]


def test_noop_patches_are_not_logged(store, feed):
    feed.send({"s": {"open": opened(), "state": [[T0, {"a": 1, "n": {"x": [1, 2]}}]]}})
    result = feed.send({"s": {"state": [[T0 + 1, {"a": 1}], [T0 + 2, {"n": {"x": [1, 2]}}],
                                        [T0 + 3, {"gone": None}], [T0 + 4, {}],
                                        [T0 + 5, {"n": {"missing": None}}]]}})
    assert result.patches == 5  # received ...
    assert store.get_session("s")["history_count"] == 1  # ... but none changed anything
    assert store.read("history", "s", 0, ALL) == [{"ts": T0, "patch": {"a": 1, "n": {"x": [1, 2]}}}]
    feed.send({"s": {"state": [[T0 + 6, {"a": 1}], [T0 + 7, {"a": 2}], [T0 + 8, {"a": 2}]]}})
    assert [entry["ts"] for entry in store.read("history", "s", 0, ALL)] == [T0, T0 + 7]


@pytest.mark.parametrize("before,after", [(1, True), (0, False), (1, 1.0), ([1], [True]),
                                          ({"x": 1}, {"x": True})],
                         ids=["int_bool", "zero_false", "int_float", "in_list", "nested"])
def test_type_change_of_an_equal_value_is_not_a_noop(store, feed, before, after):
    feed.send({"s": {"open": opened(), "state": [[T0, {"v": before}]]}})
    feed.send({"s": {"state": [[T0 + 1, {"v": after}]]}})
    assert repr(store.get_state("s")["v"]) == repr(after)
    assert store.get_session("s")["history_count"] == 2


def _history_patch(i: int) -> dict:
    patch = {"n": i, f"k{i % 5}": i, "deep": {"last": i, f"m{i % 3}": {"v": i, "l": [i]}}}
    if i % 50 == 49:
        patch["k0"] = None
        patch["deep"][f"m{(i + 1) % 3}"] = None
    return patch


def test_history_and_state_at_across_many_blocks(store, feed):
    count = 700  # BLOCK is 256: three history blocks, crossed inside and between batches
    patches = [_history_patch(i) for i in range(count)]
    feed.send({"s": {"open": opened()}})
    start = 0
    for size in (1, 97, 300, 2, 300):
        entries = []
        for i in range(start, start + size):
            entries.append([T0 + i, patches[i]])
            entries.append([T0 + i + 0.5, patches[i]])  # the same patch again: a no-op
        feed.send({"s": {"state": entries}})
        start += size
    assert start == count
    assert store.get_session("s")["history_count"] == count
    history = store.read("history", "s", 0, ALL)
    assert history == [{"ts": T0 + i, "patch": patches[i]} for i in range(count)]

    expected, states = {}, []
    for patch in patches:
        expected = deep_merge(expected, patch)
        states.append(expected)
    assert store.get_state("s") == states[-1]
    assert store.state_at("s", T0 - 1) == {}
    for i in (0, 1, 127, 254, 255, 256, 257, 300, 510, 511, 512, 513, 600, 698, 699):
        assert store.state_at("s", T0 + i) == states[i], i  # a patch at exactly ts counts
        assert store.state_at("s", T0 + i + 0.75) == states[i], i
    assert store.state_at("s", T0 + 10**6) == states[-1]
