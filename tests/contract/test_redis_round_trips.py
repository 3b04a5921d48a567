"""What a batch costs in round trips to Redis: a worker one network hop from Redis waits this
many times per batch, whatever the batch's size."""

from __future__ import annotations

import pytest
import redis

from datacat.broker.errors import DuplicateBatch
from datacat.broker.store import open_store

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
