"""Fixtures of the store contract suite: one store per backend in ``BACKENDS``.

To add a backend, add a ``BACKENDS`` entry.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from datacat.broker.store import open_store

from .support import Feed


@dataclass(frozen=True)
class Backend:
    url: object  # tmp_path -> store URL
    persistent: bool  # data outlive the Store object (reopen, several objects on one place)


BACKENDS = {
    "memory": Backend(lambda tmp_path: "memory://", persistent=False),
    "disk": Backend(lambda tmp_path: f"diskcache://{tmp_path / 'store'}", persistent=True),
    # "redis": Backend(lambda tmp_path: os.environ["DATACAT_TEST_REDIS"] + ..., persistent=True)
    # (skip when unset, and give each test its own database or key prefix)
}


@pytest.fixture(params=sorted(BACKENDS))
def backend(request, tmp_path):
    """``(Backend, url)`` for one backend, on a fresh location."""
    spec = BACKENDS[request.param]
    return spec, spec.url(tmp_path)


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
