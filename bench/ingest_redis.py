"""One ingest worker into Redis against one into diskcache, same run; Redis bytes per event.

Times ``IngestWorker.handle(payload)`` (decode, validate, dedup, apply, ack) batch for batch
on a ``RedisStore`` (a redis-server started here, on a free port, no persistence), on a
``DiskStore`` and, for reference, on a 3-master Redis Cluster, with the batches of
``ingest.py``: events, then state patches, over ``SESSIONS`` sessions per batch; then events
over ``WIDE`` sessions per batch (five each), where the per-session steps cost most; then
events that each carry an exception (``ingest.exception_items``: counted into issues). Then
stores ``MEMORY_EVENTS`` more events into an empty Redis and reads ``used_memory`` (``INFO
memory``) before and after: bytes per stored event.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from _util import Report, batch, bench_env, interleave, make_event, median, open_part
from ingest import (
    BATCHES,
    EVENTS,
    PATCHES,
    SESSIONS,
    event_items,
    exception_items,
    handle_rate,
    patch_items,
    sids,
)

from datacat.broker.apply import apply
from datacat.broker.store import open_store
from datacat.broker.worker import IngestWorker
from datacat.protocol import encode_batch
from tests.redis_servers import RedisCluster, RedisServer, redis_missing

MEMORY_EVENTS = 200_000
WIDE = 1_000  # sessions per batch in the many-small-sessions case (5 events each)


def wide_items(seq: int, total: int) -> dict[str, list]:
    """``total`` events over ``WIDE`` sessions: the per-session cost of a batch."""
    now, per = time.time(), total // WIDE
    return {f"0190b5a1-0000-7000-9000-{s:012d}": [make_event(seq * total + s * per + i, now)
                                                  for i in range(per)]
            for s in range(WIDE)}


def _worker(stack, url: str, name: str) -> IngestWorker:
    worker = IngestWorker(open_store(url), f"inproc://bench-{name}")
    stack.callback(worker.close)
    return worker


def _payloads(per_batch: int, items, field: str, first_seq: int) -> list[bytes]:
    return [encode_batch(batch(seq, {sid: {field: part} for sid, part in
                                     items(seq, per_batch).items()}))
            for seq in range(first_seq, first_seq + BATCHES)]


def measure(report: Report, workers: dict, name: str, per_batch: int, items, field: str,
            first_seq: int, target: float | None) -> None:
    cases = {backend: handle_rate(worker, _payloads(per_batch, items, field, first_seq), per_batch)
             for backend, worker in workers.items()}
    samples = interleave(cases, BATCHES)
    disk = median(samples["diskcache"])
    value = median(samples["redis"])
    unit = "patches/s" if field == "state" else "events/s"
    report.result(f"{name}/s, one worker into Redis", value, unit,
                  at_least=target, samples=samples["redis"],
                  baseline=f"one worker into diskcache {disk:,.0f}/s ({value / disk:.2f}x that)")
    report.result(f"{name}/s, one worker into diskcache", disk, unit,
                  samples=samples["diskcache"], in_summary=False)
    cluster = median(samples["cluster"])
    report.result(f"{name}/s, one worker into Redis Cluster", cluster, unit,
                  samples=samples["cluster"], in_summary=False,
                  baseline=f"standalone Redis {value:,.0f}/s ({cluster / value:.2f}x that)")


def memory_per_event(report: Report, server: RedisServer) -> None:
    store = open_store(server.fresh_url())
    apply(store, batch(1, {sid: open_part() for sid in sids()}))
    before = server.client.info("memory")["used_memory"]
    for seq in range(2, 2 + MEMORY_EVENTS // EVENTS):
        apply(store, batch(seq, {sid: {"events": part}
                                 for sid, part in event_items(seq, EVENTS).items()}))
    after = server.client.info("memory")["used_memory"]
    stored = sum(store.get_session(sid)["event_count"] for sid in sids())
    store.close()
    report.note(f"{stored:,} events over {SESSIONS} sessions ({MEMORY_EVENTS // SESSIONS:,} each): "
                f"used_memory {before:,} -> {after:,} B")
    report.result("Redis memory per stored event", (after - before) / stored, "B/event",
                  at_most=150)


def main() -> int:
    report = Report("ingest_redis", "one worker into Redis vs diskcache; Redis bytes/event")
    missing = redis_missing()
    if missing:
        report.note(f"skipped: {missing}")
        return report.finish()
    with bench_env() as (stack, tmp):
        server = RedisServer(Path(tmp) / "redis")
        stack.callback(server.stop)
        cluster = RedisCluster(Path(tmp) / "cluster")
        stack.callback(cluster.stop)
        workers = {"redis": _worker(stack, server.fresh_url(), "redis"),
                   "diskcache": _worker(stack, f"diskcache://{tmp / 'disk'}", "disk"),
                   "cluster": _worker(stack, cluster.fresh_url(), "cluster")}
        for worker in workers.values():
            worker.handle(encode_batch(batch(1, {sid: open_part() for sid in sids()})))
        measure(report, workers, "events", EVENTS, event_items, "events", 2, 50_000)
        measure(report, workers, "state patches", PATCHES, patch_items, "state",
                2 + BATCHES, 50_000)
        measure(report, workers, f"events over {WIDE:,} sessions", EVENTS, wide_items, "events",
                2 + 2 * BATCHES, None)
        measure(report, workers, "exception events", EVENTS, exception_items, "events",
                2 + 3 * BATCHES, None)
        memory_per_event(report, server)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
