"""Shared data and helpers of the store contract suite (fixtures live in ``conftest.py``)."""

from __future__ import annotations

import pytest

from datacat.broker.apply import apply
from datacat.broker.store import SessionQuery
from datacat.protocol import Kind

T0 = 1_700_000_000.0
ALL = 10**6  # a read limit larger than any stream here


class Feed:
    """Writes batches through ``apply`` with a fresh ``(daemon_id, seq)`` and a fake clock."""

    def __init__(self, store, daemon_id: str = "daemon-1"):
        self.store, self.daemon_id, self.seq, self.now = store, daemon_id, 0, T0 + 10**6

    def send(self, sessions: dict, seq: int | None = None, daemon_id: str | None = None):
        if seq is None:
            self.seq += 1
            seq = self.seq
        self.now += 1.0
        batch = {"daemon_id": daemon_id or self.daemon_id, "seq": seq, "sessions": sessions}
        return apply(self.store, batch, now=self.now)


def opened(product: str = "game", version: str = "1.0", ts: float = T0, **extra) -> dict:
    return {"product": product, "version": version, "ts": ts, **extra}


def life(kind: Kind, ts: float, **detail) -> list:
    return [int(kind), ts, detail]


def snapshot(store, *sids: str) -> dict:
    """Everything the public read API says about ``sids`` and the store as a whole."""
    return {
        "sessions": {sid: (store.get_session(sid), store.get_state(sid),
                           *(store.read(stream, sid, 0, ALL)
                             for stream in ("events", "metrics", "history")))
                     for sid in sids},
        "listed": [s["id"] for s in store.iter_sessions(SessionQuery(limit=100))],
        "products": rollups(store),
    }


def rollups(store) -> dict:
    """``products()`` as ``{(product, version): (total, by_status without zeros)}``."""
    return {(r["product"], r["version"]): (r["total"], {k: v for k, v in r["by_status"].items()
                                                       if v})
            for r in store.products()}


def table(cases: list) -> list:
    """``(id, *values)`` rows as ``pytest.param``s."""
    return [pytest.param(*case[1:], id=case[0]) for case in cases]


def listed(store, **filters) -> list[str]:
    return [s["id"] for s in store.iter_sessions(SessionQuery(limit=7, **filters))]


END = life(Kind.END, T0 + 10, reason="normal")
CRASH = life(Kind.CRASH, T0 + 20, reason="process_vanished", exit_code=-9)
HANG = life(Kind.HANG, T0 + 30, stack="main.py:10")
RECOVER = life(Kind.RECOVER, T0 + 42.5)
SUSPEND = life(Kind.SUSPEND, T0 + 33, cause="stopped")
WAKE = life(Kind.WAKE, T0 + 35, cause="stopped", duration=2.0)
LOST = life(Kind.LOST, T0 + 60, reason="daemon_silent")
HUNG, RECOVERED, CRASHED = "application_appears_hung", "application_recovered", "session_crashed"
LOST_EVENT = "session_lost"
