"""RedisStore beyond the shared contract: crash between steps, contention, safety, URLs."""

from __future__ import annotations

import copy
import subprocess
import sys
import threading

import pytest

from datacat.broker.errors import DuplicateBatch, StoreUnusable
from datacat.broker.store import SessionQuery, open_store, redis_store
from datacat.protocol import Kind

from ..helpers import free_port, wait_until
from .support import ALL, END, T0, Feed, life, listed, opened, rollups


@pytest.fixture(params=["redis_server", "redis_cluster"])
def url(request):
    return request.getfixturevalue(request.param).fresh_url()


@pytest.fixture
def store(url):
    store = open_store(url)
    yield store
    store.close()


def test_a_batch_cut_short_between_its_steps_is_completed_once_when_resent(store, monkeypatch):
    feed = Feed(store)
    feed.send({"a": {"open": opened()}, "b": {"open": opened()}})
    batch = {"a": {"events": [{"ts": T0, "name": "once"}], "lifecycle": [END]},
             "c": {"open": opened("tool"), "state": [[T0, {"x": 1}]]}}

    def die(*args, **kwargs):
        raise ConnectionError("the worker died here")

    with monkeypatch.context() as patch:  # sessions written, indexes and mark not
        patch.setattr(redis_store, "index_session", die)
        with pytest.raises(ConnectionError):
            feed.send(copy.deepcopy(batch), seq=2)
    assert store.get_session("c") is not None and listed(store) == ["b", "a"]
    feed.send(copy.deepcopy(batch), seq=2)  # the daemon resends the unacked batch
    assert [e["name"] for e in store.read("events", "a", 0, ALL)] == ["once"]
    assert store.read("history", "c", 0, ALL) == [{"ts": T0, "patch": {"x": 1}}]
    assert listed(store) == ["c", "b", "a"] and listed(store, status="ended") == ["a"]
    assert rollups(store) == {("game", "1.0"): (2, {"active": 1, "ended": 1}),
                              ("tool", "1.0"): (1, {"active": 1})}
    with pytest.raises(DuplicateBatch):
        feed.send(copy.deepcopy(batch), seq=2)


def test_a_write_cut_short_before_its_indexes_is_filed_by_the_sessions_next_write(store,
                                                                                monkeypatch):
    from datacat.broker.apply import apply

    def die(*args, **kwargs):
        raise ConnectionError("the writer died here")

    with monkeypatch.context() as patch:
        patch.setattr(redis_store, "index_session", die)
        with pytest.raises(ConnectionError):  # a REST write: no dedup, nobody resends it
            apply(store, {"sessions": {"r": {"open": opened("rest")}}}, now=T0)
    assert store.get_session("r") is not None and listed(store) == []
    apply(store, {"sessions": {"r": {"beat": T0 + 1}}}, now=T0 + 1)  # changes no index
    assert listed(store) == ["r"] and rollups(store) == {("rest", "1.0"): (1, {"active": 1})}
    hang = {"sessions": {"r": {"lifecycle": [life(Kind.HANG, T0 + 2)]}}}
    with monkeypatch.context() as patch:  # it leaves "active": cut short again
        patch.setattr(redis_store, "index_session", die)
        with pytest.raises(ConnectionError):
            apply(store, hang, now=T0 + 2)
    apply(store, {"sessions": {"r": {"beat": T0 + 3}}}, now=T0 + 3)  # the next write files it
    assert listed(store, status="hung") == ["r"] and listed(store, status="active") == []
    assert rollups(store) == {("rest", "1.0"): (1, {"hung": 1})}


def test_concurrent_writers_to_one_session_lose_nothing(url):
    stores = [open_store(url) for _ in range(4)]
    Feed(stores[0], "d-open").send({"s": {"open": opened()}})

    def write(n: int) -> None:
        feed = Feed(stores[n], f"d{n}")
        for i in range(25):
            feed.send({"s": {"events": [{"ts": T0, "name": f"{n}.{i}", "n": n}],
                             "state": [[T0 + i, {f"w{n}": i}]]}, f"own{n}": {"beat": T0}})

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    events = stores[0].read("events", "s", 0, ALL)
    assert [e["seq"] for e in events] == list(range(100))
    for n in range(4):  # each writer's events in its order
        assert [e["name"] for e in events if e["n"] == n] == [f"{n}.{i}" for i in range(25)]
    assert stores[0].get_state("s") == {f"w{n}": 24 for n in range(4)}
    assert stores[0].get_session("s")["history_count"] == 100
    assert len(listed(stores[0])) == 5
    for store in stores:
        store.close()


def test_an_evicting_maxmemory_policy_is_refused_in_one_line(redis_server):
    redis_server.client.config_set("maxmemory-policy", "allkeys-lru")
    try:
        with pytest.raises(StoreUnusable) as refused:
            open_store(redis_server.fresh_url())
    finally:
        redis_server.client.config_set("maxmemory-policy", "noeviction")
    message = str(refused.value)
    assert "allkeys-lru" in message and "noeviction" in message and "\n" not in message
    open_store(redis_server.url).close()


def test_a_worker_refuses_to_start_on_an_evicting_redis(redis_server):
    redis_server.client.config_set("maxmemory-policy", "volatile-lru")
    try:
        worker = subprocess.run([sys.executable, "-m", "datacat.cli", "ingest", "--backend",
                                 f"tcp://127.0.0.1:{free_port()}", "--store", redis_server.url],
                                capture_output=True, text=True, timeout=60)
    finally:
        redis_server.client.config_set("maxmemory-policy", "noeviction")
    assert worker.returncode == 1  # the store is in the way, not the command line
    (line,) = worker.stderr.strip().splitlines()
    assert line == (f"datacat ingest: cannot open the store {redis_server.url}: Redis at "
                    f"127.0.0.1:{redis_server.port} has maxmemory-policy volatile-lru, which can "
                    "evict keys and lose sessions: set maxmemory-policy noeviction")


@pytest.mark.parametrize("scheme", ["redis", "redis+cluster"])
def test_an_unreachable_redis_is_named(scheme):
    with pytest.raises(StoreUnusable, match=f"127.0.0.1:{(port := free_port())}"):
        open_store(f"{scheme}://127.0.0.1:{port}")


@pytest.mark.parametrize("bad", ["redis+sentinel://127.0.0.1:1", "redis+nope://127.0.0.1:1",
                                 "redis://127.0.0.1:1/0?prefix=a{b}"])
def test_a_malformed_redis_url_is_a_value_error(bad):
    with pytest.raises(ValueError):
        open_store(bad)


def test_a_key_prefix_keeps_two_stores_apart(redis_server):
    one = open_store(redis_server.fresh_url() + "?prefix=one:")
    two = open_store(redis_server.url + "?prefix=two:")
    Feed(one).send({"s": {"open": opened("a")}})
    Feed(two).send({"s": {"open": opened("b")}})
    assert (one.get_session("s")["product"], two.get_session("s")["product"]) == ("a", "b")
    assert one.list_sessions(SessionQuery()).items[0]["product"] == "a"
    one.close()
    two.close()


def test_a_sentinel_url_reaches_the_master_it_names(redis_server, tmp_path):
    port = free_port()
    config = tmp_path / "sentinel.conf"
    config.write_text(f"port {port}\nbind 127.0.0.1\ndir {tmp_path}\n"
                      f"sentinel monitor main 127.0.0.1 {redis_server.port} 1\n")
    sentinel = subprocess.Popen(["redis-server", str(config), "--sentinel"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"redis+sentinel://127.0.0.1:{port}/main/0"
        store = wait_until(lambda: _open_or_none(url), timeout=30, message="the sentinel")
        master = open_store(redis_server.fresh_url())
        Feed(store).send({"s": {"open": opened("seen-through-sentinel")}})
        assert master.get_session("s")["product"] == "seen-through-sentinel"
        store.close()
        master.close()
    finally:
        sentinel.terminate()
        sentinel.wait(30)


def _open_or_none(url: str):
    try:
        return open_store(url)
    except StoreUnusable:
        return None


def test_an_append_sends_the_same_bytes_early_and_late_in_a_session(store, monkeypatch):
    sent: list[int] = []
    cas_args = redis_store.RedisSessionTxn.cas_args

    def counting(self, *args):
        values = cas_args(self, *args)
        sent.append(sum(len(v) for v in values if isinstance(v, bytes)))
        return values

    monkeypatch.setattr(redis_store.RedisSessionTxn, "cas_args", counting)
    feed = Feed(store)
    feed.send({"s": {"open": opened()}})

    def append_one(i: int) -> int:
        feed.send({"s": {"events": [{"ts": T0 + i, "name": "tick"}]}})
        return sent[-1]

    early = [append_one(i) for i in range(100)]
    feed.send({"s": {"events": [{"ts": T0 + i, "name": "tick"} for i in range(100, 5000)]}})
    late = [append_one(i) for i in range(5000, 5100)]
    assert store.get_session("s")["event_count"] == 5100
    assert max(late) <= max(early) * 1.05  # a few bytes for wider numbers, never the stream


def test_a_session_read_survives_a_server_that_lost_its_scripts(store):
    Feed(store).send({"a": {"open": opened(), "events": [{"ts": T0 + i, "name": "e"}
                                                         for i in range(3)]}})
    store._client.script_flush()  # as after a restart
    found = store.read_session("a", {"events": (-2, 2)}, state=True)
    assert found.streams["events"] == (1, store.read("events", "a", 1, 2))
    assert [event["seq"] for event in found.streams["events"][1]] == [1, 2]
