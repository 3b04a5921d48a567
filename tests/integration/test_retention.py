"""Retention end to end: `datacat up`'s ingest workers delete expired sessions in the background."""

from __future__ import annotations

import time

import pytest

from datacat.broker.apply import apply
from datacat.broker.store import open_store
from tests.helpers import wait_until

from .conftest import run_stack

PERIOD = 300.0  # seconds: sessions stored during the test stay; passes come every 3 s

APP = """
import datacat
s = datacat.create_session("Game", "1.0")
print(s.id, flush=True)
s.end()
"""


@pytest.fixture
def stack(tmp_path, monkeypatch):
    monkeypatch.setenv("DATACAT_RETENTION_DAYS", repr(PERIOD / 86400))
    monkeypatch.setenv("DATACAT_RETENTION_PRODUCTS", "Keep=0")  # kept forever
    yield from run_stack(tmp_path)


def test_workers_delete_old_sessions_and_keep_new_ones_and_overridden_products(stack):
    store = open_store(f"diskcache://{stack.data_dir / 'store'}")
    try:
        hour_ago = time.time() - 3600
        old = {f"old-{n}": {"open": {"product": "Game", "version": "1.0", "ts": hour_ago}}
               for n in range(3)}
        apply(store, {"sessions": {**old, "kept": {"open": {
            "product": "Keep", "version": "1.0", "ts": hour_ago}}}}, now=hour_ago)
    finally:
        store.close()
    new = stack.run_app(APP).stdout.split()[0]
    stack.wait_session(new, lambda s: s["status"] == "ended")

    def listed():
        return {s["id"] for s in stack.get("/api/v1/sessions", limit=100).json()["items"]}

    wait_until(lambda: listed() == {new, "kept"}, 60, message="the old Game sessions deleted")
    totals = {(p["product"], p["total"]) for p in stack.get("/api/v1/products").json()["items"]}
    assert totals == {("Game", 1), ("Keep", 1)}
    assert stack.session("old-0") is None and stack.session(new)["status"] == "ended"
    assert stack.get("/api/v1/sessions", status="active").json()["items"][0]["id"] == "kept"

    def deleted():
        workers = stack.get("/api/v1/stats").json()["workers"]
        return sum(w["counters"].get("retention_deleted", 0) for w in workers)

    wait_until(lambda: deleted() == 3, 30, message="the workers to count 3 sessions deleted")
