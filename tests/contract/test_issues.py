"""Store contract: exceptions are counted into issues as they are stored, once each."""

from __future__ import annotations

import copy

import pytest

from datacat.broker.errors import DuplicateBatch
from datacat.broker.fingerprint import fingerprint
from datacat.protocol import Kind

from .support import T0, Feed, life, opened

SAVE = {"type": "OSError", "message": "disk full",
        "frames": [["/app/game.py", "main", 10, True], ["/app/save.py", "write", 42, True]]}
MOVED = dict(SAVE, message="disk full again",  # the same place, a line moved: the same issue
             frames=[["/srv/game.py", "main", 12, True], ["/srv/save.py", "write", 44, True]])
LOAD = {"type": "KeyError", "message": "'level'",
        "frames": [["/app/game.py", "main", 10, True], ["/app/load.py", "read", 7, True]]}
SAVE_FP, LOAD_FP = fingerprint(SAVE), fingerprint(LOAD)


def exc(exception: dict, ts: float) -> dict:
    return {"ts": ts, "name": "exception", "level": "error", "exception": exception}


def crash(exception: dict | None, ts: float) -> list:
    detail = {"reason": "unhandled_exception"}
    if exception is not None:
        detail["exception"] = exception
    return life(Kind.CRASH, ts, **detail)


def figures(row: dict) -> tuple:
    return row["count"], row["sessions"], row["machines"], row["first_seen"], row["last_seen"]


def versions(issue: dict) -> dict:
    return {(r["product"], r["version"]): figures(r) for r in issue["versions"]}


def test_exceptions_are_grouped_and_counted_per_scope(store, feed):
    feed.send({"a": {"open": opened(version="1.0", machine_id="m1"),
                     "events": [exc(SAVE, T0 + 1), exc(LOAD, T0 + 2), exc(MOVED, T0 + 3)]},
               "b": {"open": opened(version="1.0", machine_id="m2"),
                     "events": [exc(SAVE, T0 + 4)]}})
    feed.send({"c": {"open": opened(version="2.0", machine_id="m1"),
                     "events": [exc(SAVE, T0 + 5)]},
               "t": {"open": opened("tool", "1.0"), "events": [exc(SAVE, T0 + 6)]}})
    save, load = store.issue(SAVE_FP), store.issue(LOAD_FP)
    assert (save["fingerprint"], save["type"], save["message"]) == (SAVE_FP, "OSError",
                                                                    "disk full")
    assert figures(save) == (5, 4, 2, T0 + 1, T0 + 6)  # "t" has no machine id
    assert versions(save) == {("game", "1.0"): (3, 2, 2, T0 + 1, T0 + 4),
                              ("game", "2.0"): (1, 1, 1, T0 + 5, T0 + 5),
                              ("tool", "1.0"): (1, 1, 0, T0 + 6, T0 + 6)}
    assert {p["product"]: figures(p) for p in save["products"]} == {
        "game": (4, 3, 2, T0 + 1, T0 + 5), "tool": (1, 1, 0, T0 + 6, T0 + 6)}
    assert save["samples"] == [["a", 0], ["a", 2], ["b", 0], ["c", 0], ["t", 0]]
    assert store.issue_sessions(SAVE_FP) == ["a", "b", "c", "t"]
    assert store.issue_sessions(SAVE_FP, 1, 2) == ["b", "c"]
    assert figures(load) == (1, 1, 1, T0 + 2, T0 + 2) and load["samples"] == [["a", 1]]
    assert sorted(i["fingerprint"] for i in store.issues()) == sorted([SAVE_FP, LOAD_FP])
    assert store.issue("0" * 16) is None and store.issue_sessions("0" * 16) == []


def test_a_crash_counts_its_exception_once(store, feed):
    # the SDK logs the unhandled exception, then sends the crash carrying it
    feed.send({"a": {"open": opened(machine_id="m1"), "events": [exc(SAVE, T0 + 1)],
                     "lifecycle": [crash(SAVE, T0 + 2)]},
               "b": {"open": opened(machine_id="m2"), "events": [exc(SAVE, T0 + 1)]}})
    feed.send({"b": {"lifecycle": [crash(SAVE, T0 + 3)]},  # in the next batch
               "c": {"open": opened(machine_id="m3"), "lifecycle": [crash(LOAD, T0 + 4)]},
               "d": {"open": opened(machine_id="m4"), "events": [exc(LOAD, T0 + 1)],
                     "lifecycle": [crash(SAVE, T0 + 5)]},
               "e": {"open": opened(machine_id="m5"), "lifecycle": [crash(None, T0 + 6)]}})
    assert figures(store.issue(SAVE_FP)) == (3, 3, 3, T0 + 1, T0 + 5)
    assert figures(store.issue(LOAD_FP)) == (2, 2, 2, T0 + 1, T0 + 4)
    assert store.issue(SAVE_FP)["samples"] == [["a", 0], ["b", 0], ["d", 1]]
    assert len(store.issues()) == 2


def test_a_duplicate_batch_counts_nothing(store, feed):
    batch = {"a": {"open": opened(machine_id="m1"), "events": [exc(SAVE, T0 + 1)]}}
    feed.send(copy.deepcopy(batch), seq=1)
    with pytest.raises(DuplicateBatch):
        feed.send(copy.deepcopy(batch), seq=1)
    feed.send({"a": {"events": [exc(SAVE, T0 + 2)]}}, seq=2)
    assert figures(store.issue(SAVE_FP)) == (2, 1, 1, T0 + 1, T0 + 2)


def test_issues_outlive_the_store_object(store, feed, open_again):
    feed.send({"a": {"open": opened(machine_id="m1"), "events": [exc(SAVE, T0 + 1)]}})
    again = open_again()
    assert again.issue(SAVE_FP) == store.issue(SAVE_FP)
    assert again.issue_sessions(SAVE_FP) == ["a"]


@pytest.fixture(params=["redis_server", "redis_cluster"])
def on_redis(request):
    from datacat.broker.store import open_store

    store = open_store(request.getfixturevalue(request.param).fresh_url())
    yield store
    store.close()


def test_on_redis_hits_cut_short_are_filed_once_by_the_resent_batch(on_redis, monkeypatch):
    from datacat.broker.store import redis_store

    feed = Feed(on_redis)
    batch = {"a": {"open": opened(machine_id="m1"), "events": [exc(SAVE, T0 + 1)] * 2}}

    def die(*args, **kwargs):
        raise ConnectionError("the worker died here")

    with monkeypatch.context() as patch:  # the session step written, its issues not
        patch.setattr(redis_store, "file_hits", die)
        with pytest.raises(ConnectionError):
            feed.send(copy.deepcopy(batch), seq=1)
    assert on_redis.issue(SAVE_FP) is None
    feed.send(copy.deepcopy(batch), seq=1)  # the daemon resends the unacked batch
    assert figures(on_redis.issue(SAVE_FP)) == (2, 1, 1, T0 + 1, T0 + 1)


def test_on_redis_hits_filed_again_count_nothing_twice(on_redis):
    from datacat.broker.store.redis_txn import session_keys

    feed = Feed(on_redis)
    feed.send({"a": {"open": opened(machine_id="m1"), "events": [exc(SAVE, T0 + 1)]}})
    # a worker that died after filing the hits, before clearing the session's mark
    on_redis._client.hset(session_keys(on_redis._prefix, "a")[0], "i", "1")
    feed.send({"a": {"events": [exc(SAVE, T0 + 2)]}})  # files the pending hits again
    feed.send({"a": {"events": [exc(LOAD, T0 + 3)]}})
    assert figures(on_redis.issue(SAVE_FP)) == (2, 1, 1, T0 + 1, T0 + 2)
    assert on_redis.issue(SAVE_FP)["samples"] == [["a", 0], ["a", 1]]
    assert figures(on_redis.issue(LOAD_FP)) == (1, 1, 1, T0 + 3, T0 + 3)


def test_a_store_copy_counts_the_same_issues(store, feed):
    import io

    from datacat.broker.store import open_store
    from datacat.broker.store.copy import copy_store

    feed.send({"a": {"open": opened(machine_id="m1"), "events": [exc(LOAD, T0 + 1)],
                     "lifecycle": [crash(LOAD, T0 + 2)]},
               "b": {"open": opened(version="2.0", machine_id="m2"),
                     "events": [exc(SAVE, T0 + 3), exc(LOAD, T0 + 4)]}})
    copied = open_store("memory://")
    copy_store(store, copied, out=io.StringIO())
    for issue in (SAVE_FP, LOAD_FP):
        assert copied.issue(issue) == store.issue(issue)
        assert copied.issue_sessions(issue) == store.issue_sessions(issue)
    assert figures(copied.issue(LOAD_FP)) == (2, 2, 2, T0 + 1, T0 + 4)
    copied.close()


def test_on_redis_hits_are_counted_when_the_server_lost_its_scripts_after_the_step(
        on_redis, monkeypatch):
    from datacat.broker.store import redis_store

    feed = Feed(on_redis)
    feed.send({"a": {"open": opened(machine_id="m1"), "events": [exc(SAVE, T0 + 1)]}})
    flushed = []

    def index_after_a_restart(*args):
        if not flushed:  # the server restarts between the session's step and its filing
            flushed.append(on_redis._client.script_flush())
        return index_session(*args)

    index_session = redis_store.index_session
    monkeypatch.setattr(redis_store, "index_session", index_after_a_restart)
    feed.send({"a": {"events": [exc(SAVE, T0 + 2)]}})
    assert flushed and figures(on_redis.issue(SAVE_FP)) == (2, 1, 1, T0 + 1, T0 + 2)
