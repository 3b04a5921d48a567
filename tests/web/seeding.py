"""Sessions of every kind written through ``apply`` (the ingest path), for the figures tests."""

from __future__ import annotations

from datacat.protocol import Kind

from .conftest import unique

__all__ = ["T0", "seed_mix", "seed_daemon", "seed_worker"]

T0 = 1_750_000_000.0


def _part(version: str, product: str, start: float, lifecycle=(), host: str = "rig") -> dict:
    return {"open": {"product": product, "version": version, "ts": start, "hostname": host},
            "lifecycle": [list(record) for record in lifecycle]}


def seed_mix(web, product: str | None = None) -> tuple[str, dict]:
    """A product with two versions and every outcome; returns ``(product, {sid: part})``.

    1.0: two ended, one crashed (unhandled_exception), one that hung twice and recovered,
    one active. 2.0: one crashed (process_vanished) after hanging, one hung now, one ended.
    Sessions start a minute apart from ``T0``.
    """
    product = product or unique("Mix")
    hang = (Kind.HANG, 0, {"since_last_beat": 5.0})
    plan = [
        ("1.0", [(Kind.END, 30, {"reason": "end"})]),
        ("1.0", [(Kind.END, 30, {"reason": "exit"})]),
        ("1.0", [(Kind.CRASH, 20, {"reason": "unhandled_exception"})]),
        ("1.0", [(Kind.HANG, 5, {"since_last_beat": 5.0}), (Kind.RECOVER, 10, {}),
                 (Kind.HANG, 15, {"since_last_beat": 5.0}), (Kind.RECOVER, 25, {})]),
        ("1.0", []),
        ("2.0", [hang, (Kind.CRASH, 40, {"reason": "process_vanished"})]),
        ("2.0", [hang]),
        ("2.0", [(Kind.END, 30, {"reason": "end"})]),
    ]
    parts = {}
    for i, (version, records) in enumerate(plan):
        start = T0 + 60 * i
        parts[f"{product}-{i}"] = _part(version, product, start,
                                        [(kind, start + dt, detail) for kind, dt, detail in records])
    web.seed(parts)
    return product, parts


def seed_daemon(web, daemon_id: str, stats: dict, seq: int = 1) -> None:
    """A daemon's liveness batch carrying ``stats`` (as a daemon's beat does)."""
    from datacat.broker.apply import apply

    apply(web.store, {"daemon_id": daemon_id, "seq": seq, "host": "host-" + daemon_id,
                      "watching": [], "stats": stats, "sessions": {}})


def seed_worker(web, worker_id: str, counters: dict, lag: float = 0.25) -> dict:
    """An ingest worker's published record (as ``IngestWorker.report`` writes it)."""
    import time

    record = {"id": worker_id, "host": "host-" + worker_id, "pid": 4242, "last_seen": time.time(),
              "lag": lag, "counters": counters}
    web.store.put_worker(record)
    return record
