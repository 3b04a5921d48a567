"""Store contract: daemon liveness and loss."""

from __future__ import annotations

import pytest

from datacat.broker.apply import apply
from datacat.broker.errors import InvalidBatch

from .support import ALL, END, LOST_EVENT, opened, rollups


def _daemon_batch(feed, watching: list, sessions: dict | None = None, daemon_id="daemon-1"):
    feed.seq += 1
    feed.now += 1.0
    batch = {"daemon_id": daemon_id, "seq": feed.seq, "host": "box", "stats": {"frames_in": 1},
             "watching": watching, "sessions": sessions or {}}
    return apply(feed.store, batch, now=feed.now)


def test_a_daemon_batch_records_its_liveness(store, feed):
    _daemon_batch(feed, ["a", "b"], {"a": {"open": opened()}, "b": {"open": opened()}})
    (daemon,) = store.daemons()
    assert (daemon["id"], daemon["host"], daemon["watching"]) == ("daemon-1", "box", ["a", "b"])
    assert daemon["last_seen"] == feed.now and daemon["stats"] == {"frames_in": 1}


def test_a_silent_daemons_open_sessions_become_lost_and_come_back(store, feed):
    from datacat.broker.apply import retire_daemon

    _daemon_batch(feed, ["a", "b", "c"], {sid: {"open": opened()} for sid in "abc"})
    feed.send({"c": {"lifecycle": [END]}})
    seen = store.daemons()[0]["last_seen"]
    assert retire_daemon(store, "daemon-1", timeout=30, now=seen + 10) == 0  # not silent yet
    assert retire_daemon(store, "daemon-1", timeout=30, now=seen + 31) == 2
    assert [store.get_session(s)["status"] for s in "abc"] == ["lost", "lost", "ended"]
    assert store.daemons() == [] and store.lost_sessions() == {"a", "b"}
    assert [e["name"] for e in store.read("events", "a", 0, ALL)] == [LOST_EVENT]
    assert rollups(store) == {("game", "1.0"): (3, {"lost": 2, "ended": 1})}

    _daemon_batch(feed, ["a"], daemon_id="daemon-2")  # a restarted daemon still watches "a"
    assert store.get_session("a")["status"] == "active"
    assert store.get_session("a")["daemon_id"] == "daemon-2"
    assert store.get_session("b")["status"] == "lost" and store.lost_sessions() == {"b"}


def test_watching_needs_a_daemon_and_session_ids(store):
    for batch in ({"sessions": {}, "watching": ["a"]},
                  {"daemon_id": "d", "seq": 1, "sessions": {}, "watching": "a"},
                  {"daemon_id": "d", "seq": 1, "sessions": {}, "watching": [1]}):
        with pytest.raises(InvalidBatch):
            apply(store, batch)
    assert store.daemons() == []


def test_a_daemon_heard_from_again_is_not_forgotten(store, feed):
    _daemon_batch(feed, ["a"], {"a": {"open": opened()}})
    seen = store.get_daemon("daemon-1")["last_seen"]
    _daemon_batch(feed, ["a"])  # it reported again before the sweep got to forget it
    assert store.forget_daemon("daemon-1", seen) is False
    latest = store.get_daemon("daemon-1")["last_seen"]
    assert latest > seen and store.forget_daemon("daemon-1", latest) is True
    assert store.daemons() == [] and store.get_daemon("daemon-1") is None
    assert store.forget_daemon("daemon-1", latest) is False
