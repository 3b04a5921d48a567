"""A memory store filled through ``apply`` (the real write path), and a way to add sessions."""

from __future__ import annotations

import pytest

from datacat.broker.apply import apply
from datacat.broker.store import open_store
from datacat.protocol import Kind

T0 = 1_750_000_000.0


def add(store, sid: str, product: str = "Orbit", version: str = "1.0", at: float = T0,
        end: str | None = "end", hang: tuple | None = None, **part) -> str:
    """One session through ``apply``: opened at ``at``, then optionally hung (``(start, end)``,
    ``end`` may be ``None``), then ended (``end``), crashed (``"crash"``) or left live (``None``)."""
    lifecycle = []
    if hang:
        lifecycle.append([int(Kind.HANG), hang[0], {"since_last_beat": 9}])
        if hang[1] is not None:
            lifecycle.append([int(Kind.RECOVER), hang[1], {}])
    if end == "crash":
        lifecycle.append([int(Kind.CRASH), at + 10, {"reason": "unhandled_exception"}])
    elif end:
        lifecycle.append([int(Kind.END), at + 10, {"reason": end}])
    opened = {"product": product, "version": version, "ts": at, "hostname": part.pop("host", "rig-1")}
    body = {"open": opened, **part}
    if lifecycle:
        body["lifecycle"] = lifecycle
    apply(store, {"sessions": {sid: body}}, now=at)
    return sid


@pytest.fixture
def store():
    store = open_store("memory://")
    yield store
    store.close()
