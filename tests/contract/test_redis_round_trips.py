"""What a batch and a session read cost in round trips to Redis: a worker or web process one
network hop from Redis waits this many times, whatever the batch's or the session's size."""

from __future__ import annotations

import pytest
import redis
from redis.cluster import NodeCommands, RedisCluster

from datacat.broker.errors import DuplicateBatch
from datacat.broker.store import open_store
from datacat.web.safe_store import SafeStore
from datacat.web.views import (
    compat_sessions_with_state,
    full_session,
    session_state,
    session_with_state,
    stream_page,
)

from .support import END, T0, Feed, listed, opened


@pytest.fixture
def counted(redis_server, monkeypatch):
    """A store on a standalone Redis, and a list that gets one item per round trip."""
    trips = []
    command, execute = redis.Redis.execute_command, redis.client.Pipeline.execute

    def one_command(self, *args, **options):
        trips.append(args[0])
        return command(self, *args, **options)

    def one_pipeline(self, *args, **options):
        trips.append("pipeline")
        return execute(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", one_command)
    monkeypatch.setattr(redis.client.Pipeline, "execute", one_pipeline)
    store = open_store(redis_server.fresh_url())
    yield store, trips
    store.close()


def events(n: int) -> list:
    return [{"ts": T0 + i, "name": "e", "data": {"i": i}} for i in range(n)]


def test_a_batch_takes_three_round_trips_four_when_indexes_change(counted):
    store, trips = counted
    feed = Feed(store)
    sids = [f"s{n}" for n in range(20)]
    feed.send({sid: {"open": opened()} for sid in sids})
    trips.clear()
    feed.send({sid: {"events": events(50)} for sid in sids})
    assert len(trips) == 3, trips  # read (daemon's mark + sessions), write, daemon's mark
    trips.clear()
    feed.send({sid: {"events": events(5), "lifecycle": [END]} for sid in sids})
    assert len(trips) == 4, trips  # ... and the indexes, before the marks
    assert sorted(listed(store, status="ended")) == sorted(sids)


def test_a_duplicate_batch_is_refused_after_one_round_trip(counted):
    store, trips = counted
    feed = Feed(store)
    feed.send({"a": {"open": opened(), "events": events(3)}})
    trips.clear()
    with pytest.raises(DuplicateBatch):
        feed.send({"a": {"events": events(3)}}, seq=1)
    assert len(trips) == 1
    assert store.get_session("a")["event_count"] == 3


@pytest.fixture
def counted_cluster(redis_cluster, monkeypatch):
    """A store on the 3-master cluster, and a list that gets one ``(node, command)`` per
    command or pipeline sent to a node (a round trip to that node)."""
    trips = []
    send, write = RedisCluster._execute_command, NodeCommands.write

    def one_node_command(self, target_node, *args, **options):
        trips.append((target_node.name, args[0]))
        return send(self, target_node, *args, **options)

    def one_node_pipeline(self):
        trips.append((f"{self.connection.host}:{self.connection.port}", "pipeline"))
        return write(self)

    monkeypatch.setattr(RedisCluster, "_execute_command", one_node_command)
    monkeypatch.setattr(NodeCommands, "write", one_node_pipeline)
    store = open_store(redis_cluster.fresh_url())
    yield store, trips
    store.close()


@pytest.mark.parametrize("server", ["counted", "counted_cluster"])
def test_each_session_read_of_the_rest_api_takes_one_round_trip(server, request):
    store, trips = request.getfixturevalue(server)
    feed = Feed(store)
    feed.send({"a": {"open": opened()}})
    for start in range(0, 1500, 500):
        feed.send({"a": {"events": events(500), "metrics": [
            {"ts": T0, "name": "m", "type": "gauge", "count": 1, "sum": 1.0}],
            "state": [[T0 + start + i, {"i": start + i}] for i in range(500)]}})
    web = SafeStore(store)
    reads = [lambda: full_session(web, "a"), lambda: session_with_state(web, "a"),
             lambda: stream_page(web, "events", "a", 900, 300), lambda: session_state(web, "a")]
    for read in reads:
        trips.clear()
        read()
        assert len(trips) == 1, trips
    body = full_session(web, "a")
    assert len(body["events"]) == len(body["state_history"]) == 1000
    assert body["state_history"][-1]["state"] == body["state"] == {"i": 1499}


@pytest.mark.parametrize("server", ["counted", "counted_cluster"])
def test_the_states_of_an_export_page_take_one_round_trip_per_node(server, request):
    store, trips = request.getfixturevalue(server)
    sids = [f"s{n}" for n in range(40)]
    Feed(store).send({sid: {"open": opened(), "state": [[T0, {"n": sid}]]} for sid in sids})
    sessions = [store.get_session(sid) for sid in sids]
    trips.clear()
    rows = compat_sessions_with_state(SafeStore(store), sessions)
    assert [row["state"] for row in rows] == [{"n": sid} for sid in sids]
    if server == "counted":
        assert trips == ["pipeline"]
    else:  # the sessions' slots spread over the three masters: one round trip to each
        assert len(trips) == len({node for node, _ in trips}) == 3
