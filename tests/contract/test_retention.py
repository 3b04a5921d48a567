"""Store contract: retention deletes the sessions first stored before a time, oldest first."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from datacat.broker.store import SessionQuery, open_store

from .support import ALL, CRASH, HANG, LOST, T0, Feed, listed, opened, rollups

SAVE = {"type": "OSError", "message": "disk full", "frames": [["/app/save.py", "write", 42, True]]}


def _full(n: int, product: str = "game", **extra) -> dict:
    """A session part with a bit of everything a session holds."""
    return {"open": opened(product, machine_id=f"m{n}", **extra),
            "events": [{"ts": T0 + i, "name": f"e{i}", "exception": SAVE} for i in range(300)],
            "metrics": [{"ts": T0, "name": "fps", "type": "gauge", "last": 60}],
            "state": [[T0 + i, {"level": i}] for i in range(300)]}


def test_old_sessions_go_new_ones_stay(store, feed):
    for n in range(3):
        feed.send({f"old{n}": _full(n)})
    feed.send({"old0": {"lifecycle": [CRASH]}, "old1": {"lifecycle": [HANG]}})
    cutoff = feed.now + 0.5
    feed.send({"new": _full(9)})
    issue_before = store.issues()
    assert store.delete_older_than(cutoff, limit=2) == 2  # oldest first
    assert store.get_session("old0") is None and store.get_session("old1") is None
    assert store.get_session("old2") is not None
    assert store.delete_older_than(cutoff, limit=100) == 1
    assert store.delete_older_than(cutoff, limit=100) == 0  # nothing left: a no-op
    for sid in ("old0", "old1", "old2"):
        assert store.get_session(sid) is None and store.get_state(sid) == {}
        assert store.state_at(sid, T0 + 1000) == {}
        for stream in ("events", "metrics", "history"):
            assert store.read(stream, sid, 0, ALL) == []
    assert listed(store) == ["new"]
    assert listed(store, status="crashed") == [] and listed(store, product="game") == ["new"]
    assert listed(store, product="game", version="1.0", status="active") == ["new"]
    assert rollups(store) == {("game", "1.0"): (1, {"active": 1})}
    assert store.products()[0]["hung_sessions"] == 0
    assert len(store.read("events", "new", 0, ALL)) == 300
    assert store.state_at("new", T0 + 10) == {"level": 10}
    # issue figures are history: they keep counting the deleted sessions
    assert store.issues() == issue_before


def test_per_product(store, feed):
    feed.send({"a": {"open": opened("kept")}, "b": {"open": opened("gone")}})
    feed.send({"c": {"open": opened("gone")}})
    cutoff = feed.now + 0.5
    feed.send({"d": {"open": opened("gone")}})
    assert store.delete_older_than(cutoff, product="gone", limit=10) == 2
    assert listed(store) == ["d", "a"]
    assert rollups(store)[("gone", "1.0")] == (1, {"active": 1})
    assert rollups(store)[("kept", "1.0")] == (1, {"active": 1})
    assert store.delete_older_than(cutoff, limit=10) == 1  # then the rest: "a"
    assert listed(store) == ["d"]


def test_children_lost_and_a_later_write(store, feed):
    feed.send({"parent": {"open": opened()}})
    feed.send({"child": {"open": opened(parent_session_id="parent")},
               "lost": {"open": opened()}})
    feed.send({"lost": {"lifecycle": [LOST]}})
    cutoff = feed.now + 0.5
    feed.send({"young": {"open": opened(parent_session_id="parent")}})
    assert store.lost_sessions() == {"lost"}
    assert store.delete_older_than(cutoff, product="game", limit=1) == 1  # the parent
    assert store.children("parent") == []  # its children index went with it
    assert store.delete_older_than(cutoff, limit=10) == 2
    assert store.lost_sessions() == set()
    assert store.get_session("young") is not None
    feed.send({"parent": {"open": opened()}})  # an id stored again is a new session
    assert store.children("parent") == []
    assert listed(store) == ["parent", "young"]
    assert rollups(store) == {("game", "1.0"): (2, {"active": 2})}


def test_a_deleted_child_leaves_its_parent(store, feed):
    feed.send({"kid": {"open": opened(parent_session_id="p")}})
    cutoff = feed.now + 0.5
    feed.send({"p": {"open": opened()}, "kid2": {"open": opened(parent_session_id="p")}})
    assert store.children("p") == ["kid", "kid2"]
    assert store.delete_older_than(cutoff) == 1
    assert store.children("p") == ["kid2"]
    assert [s["id"] for s in store.iter_sessions(SessionQuery(limit=1))] == ["kid2", "p"]


def test_several_deleting_at_once_delete_each_session_once(store, feed, open_again):
    feed.send({f"s{n}": {"open": opened()} for n in range(60)})
    cutoff = feed.now + 0.5
    feed.send({"new": {"open": opened()}})
    others = [open_again() for _ in range(3)]
    with ThreadPoolExecutor(4) as pool:
        counts = list(pool.map(lambda s: sum(s.delete_older_than(cutoff, limit=7)
                                             for _ in range(12)), [store, *others]))
    assert sum(counts) == 60
    assert listed(store) == ["new"] and rollups(store) == {("game", "1.0"): (1, {"active": 1})}


@pytest.fixture(params=["redis_server", "redis_cluster"])
def on_redis(request):
    store = open_store(request.getfixturevalue(request.param).fresh_url())
    yield store
    store.close()


def test_redis_a_pass_cut_short_is_finished_by_the_next(on_redis):
    feed = Feed(on_redis)
    feed.send({"a": {"open": opened()}, "b": {"open": opened()}})
    cutoff = feed.now + 0.5
    feed.send({"new": {"open": opened()}})
    client, prefix = on_redis._client, on_redis._prefix
    client.delete(f"{prefix}{{a}}")  # as if a pass died after dropping "a", before its last step
    assert on_redis.delete_older_than(cutoff) == 1  # "b"; "a" only leaves the set walked
    assert client.zrange(prefix + "ix:all", 0, -1) == [b"new"]
    assert listed(on_redis) == ["new"] and listed(on_redis, product="game") == ["new"]
    assert on_redis.delete_older_than(cutoff, product="game") == 0  # as the workers walk
    assert client.zrange(prefix + "ix:p:game", 0, -1) == [b"new"]
