"""Store contract: persistence and sharing."""

from __future__ import annotations

import pytest

from datacat.broker.errors import DuplicateBatch
from datacat.broker.store import open_store

from .support import ALL, END, HANG, RECOVER, T0, Feed, listed, opened, rollups, snapshot


def _rich_session(feed, sid: str = "s") -> None:
    feed.send({sid: {"open": opened(), "state": [[T0 + i, {"i": i, f"k{i % 4}": i}]
                                                 for i in range(300)],
                     "events": [{"ts": T0 + i, "name": f"e{i}"} for i in range(300)],
                     "metrics": [{"ts": T0, "name": "fps", "type": "gauge", "last": 60}]}})
    feed.send({sid: {"lifecycle": [HANG, RECOVER, END]}})


def test_close_is_idempotent(backend):
    store = open_store(backend[1])
    Feed(store).send({"s": {"open": opened()}})
    store.close()
    store.close()


def test_data_survive_close_and_reopen(store, feed, open_again):
    _rich_session(feed)
    before = snapshot(store, "s")
    store.close()
    reopened = open_again()
    assert snapshot(reopened, "s") == before
    assert reopened.state_at("s", T0 + 150)["i"] == 150
    with pytest.raises(DuplicateBatch):  # dedup marks survive too
        Feed(reopened).send({"s": {"beat": T0}}, seq=feed.seq)
    Feed(reopened).send({"s": {"events": [{"ts": T0, "name": "after"}]}}, seq=feed.seq + 1)
    events = reopened.read("events", "s", 0, ALL)
    assert (events[-1]["name"], events[-1]["seq"], len(events)) == ("after", 302, 303)


def test_two_store_objects_on_one_place_see_each_others_writes(store, feed, open_again):
    other = open_again()
    _rich_session(feed, "a")
    assert snapshot(other, "a") == snapshot(store, "a")
    Feed(other, daemon_id="daemon-2").send({"b": {"open": opened("tool")},
                                             "a": {"events": [{"ts": T0, "name": "x"}]}})
    assert store.get_session("b")["product"] == "tool"
    assert store.read("events", "a", 0, ALL)[-1]["name"] == "x"
    assert listed(store) == listed(other) == ["b", "a"]
    assert rollups(store) == rollups(other)
    with pytest.raises(DuplicateBatch):  # one daemon's marks are shared as well
        Feed(other).send({"a": {"beat": T0}}, seq=feed.seq)
