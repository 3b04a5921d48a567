"""Fixtures of the store contract suite: one store per backend in ``BACKENDS``.

To add a backend, add a ``BACKENDS`` entry. The Redis backends share one standalone
server (emptied before each test) and one 3-master cluster (a key prefix per test),
started once per test session; they skip when redis-server is not installed.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from datacat.broker.store import open_store

from ..redis_servers import RedisCluster, RedisServer, redis_missing
from .support import Feed


@dataclass(frozen=True)
class Backend:
    url: object  # (request, tmp_path) -> store URL of a fresh, empty store
    persistent: bool  # data outlive the Store object (reopen, several objects on one place)


BACKENDS = {
    "memory": Backend(lambda request, tmp_path: "memory://", persistent=False),
    "disk": Backend(lambda request, tmp_path: f"diskcache://{tmp_path / 'store'}",
                    persistent=True),
    "redis": Backend(lambda request, tmp_path: request.getfixturevalue("redis_server")
                     .fresh_url(), persistent=True),
    "redis_cluster": Backend(lambda request, tmp_path: request.getfixturevalue("redis_cluster")
                             .fresh_url(), persistent=True),
}


def _running(kind, tmp_path_factory):
    """A Redis ``kind`` (``RedisServer``, ``RedisCluster``) for the test session."""
    if redis_missing():
        pytest.skip(redis_missing())
    servers = kind(tmp_path_factory.mktemp(kind.__name__.lower()))
    yield servers
    servers.stop()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    yield from _running(RedisServer, tmp_path_factory)


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory):
    yield from _running(RedisCluster, tmp_path_factory)


@pytest.fixture(params=sorted(BACKENDS))
def backend(request, tmp_path):
    """``(Backend, url)`` for one backend, on a fresh location."""
    spec = BACKENDS[request.param]
    return spec, spec.url(request, tmp_path)


@pytest.fixture
def store(backend):
    store = open_store(backend[1])
    yield store
    store.close()


@pytest.fixture
def open_again(backend):
    """Opens more ``Store`` objects on the same data; skips backends that cannot."""
    spec, url = backend
    if not spec.persistent:
        pytest.skip("this backend's data live in one Store object")
    opened = []

    def _open():
        opened.append(open_store(url))
        return opened[-1]

    yield _open
    for store in opened:
        store.close()


@pytest.fixture
def feed(store):
    return Feed(store)
