"""One ingest worker's throughput into a fresh diskcache store, without sockets.

Times ``IngestWorker.handle(payload)``: the worker's whole path for one batch (decode and
check the msgpack batch, validate, dedup + apply in one transaction, make the ack). The
worker is built on an ``inproc://`` endpoint nobody binds, so its REP socket never
carries anything. Batches are made by ``encode_batch`` beforehand:

- events: ``EVENTS`` events over ``SESSIONS`` sessions per batch;
- state: ``PATCHES`` ``[ts, patch]`` entries over ``SESSIONS`` sessions per batch, each
  patch changing the state;
- exceptions: the same events, each carrying an exception (one of ``ISSUES`` kinds, with
  six frames): every one fingerprinted and counted into its issue. Against the events
  case, the cost of issue bookkeeping.

Baseline in the same run, batch for batch: raw ``diskcache.Cache.set`` of the same items
(packed beforehand, one key each) inside one ``transact()`` per batch. The original
server's 5.6k events/s is quoted from DESIGN.md as a reference only.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import diskcache
import msgpack
from _util import Report, batch, bench_env, interleave, make_event, make_patch, median, open_part

from datacat.broker.store.disk import DiskStore
from datacat.broker.worker import IngestWorker
from datacat.protocol import decode_ack, encode_batch

SESSIONS = 10
EVENTS = 5_000
PATCHES = 5_000
BATCHES = 20
ORIGINAL_EVENTS_PER_S = 5_600
ISSUES = 5


def sids() -> list[str]:
    return [f"0190b5a1-0000-7000-8000-{n:012d}" for n in range(SESSIONS)]


def event_items(seq: int, total: int) -> dict[str, list]:
    now = time.time()
    per = total // SESSIONS
    return {sid: [make_event(seq * total + s * per + i, now + i * 1e-3) for i in range(per)]
            for s, sid in enumerate(sids())}


def exception_items(seq: int, total: int) -> dict[str, list]:
    items = event_items(seq, total)
    for events in items.values():
        for event in events:
            kind = event["data"]["i"] % ISSUES
            event.update(name="exception", level="error", exception={
                "type": f"Error{kind}", "message": "failed", "stacktrace": ["Traceback\n"],
                "frames": [[f"/app/m{f}.py", f"f{f}_{kind}", 10 + f, True] for f in range(6)]})
    return items


def patch_items(seq: int, total: int) -> dict[str, list]:
    now = time.time()
    per = total // SESSIONS
    return {sid: [[now + i * 1e-3, make_patch(seq * per + i)] for i in range(per)]
            for sid in sids()}


def handle_rate(worker: IngestWorker, payloads: list[bytes], per_batch: int):
    """A case for ``interleave``: the worker handles the next payload; items per second."""
    def one() -> float:
        payload = payloads.pop(0)
        start = time.perf_counter()
        ack = decode_ack(worker.handle(payload))
        elapsed = time.perf_counter() - start
        if ack["status"] != "ok":
            raise RuntimeError(f"the worker did not apply a batch: {ack}")
        return per_batch / elapsed
    return one


def measure(report: Report, tmp: Path, stack, name: str, per_batch: int, items, field: str,
            target: float | None) -> None:
    """Batch for batch: the worker's ``handle`` on a DiskStore, raw diskcache sets."""
    label = name.replace(" ", "-")
    store = DiskStore(str(tmp / f"store-{label}"))
    worker = IngestWorker(store, f"inproc://bench-ingest-{label}")
    stack.callback(worker.close)
    raw = diskcache.Cache(str(tmp / f"raw-{label}"))
    stack.callback(raw.close)
    ack = decode_ack(worker.handle(encode_batch(batch(1, {sid: open_part() for sid in sids()}))))
    if ack["status"] != "ok":
        raise RuntimeError(f"the worker did not take the opening batch: {ack}")
    payloads, raw_batches = [], []
    for seq in range(2, BATCHES + 2):
        parts = items(seq, per_batch)
        payloads.append(encode_batch(batch(seq, {sid: {field: part}
                                                 for sid, part in parts.items()})))
        raw_batches.append([(f"{field[0]}/{sid}/{seq}/{i}", msgpack.packb(item))
                            for sid, part in parts.items() for i, item in enumerate(part)])
    payload_bytes = sum(map(len, payloads)) // len(payloads)

    datacat_batch = handle_rate(worker, payloads, per_batch)

    def raw_batch() -> float:
        pairs = raw_batches.pop(0)
        start = time.perf_counter()
        with raw.transact():
            for key, value in pairs:
                raw.set(key, value)
        return per_batch / (time.perf_counter() - start)

    samples = interleave({"datacat": datacat_batch, "raw": raw_batch}, BATCHES)
    counters = worker.counters
    report.note(f"{name}: {BATCHES} batches of {per_batch:,} over {SESSIONS} sessions "
                f"({payload_bytes:,} B each); the worker applied {counters['applied']} batches "
                f"(with the opening one), {counters['events']:,} events, "
                f"{counters['patches']:,} patches")
    raw_rate = median(samples["raw"])
    value = median(samples["datacat"])
    reference = (f"; the original server {ORIGINAL_EVENTS_PER_S:,}/s "
                 f"({value / ORIGINAL_EVENTS_PER_S:.0f}x, reference)" if name == "events" else "")
    report.result(f"{name}/s, one worker (handle)", value, f"{name.split()[-1]}/s",
                  at_least=target, samples=samples["datacat"],
                  baseline=f"raw diskcache set in one transact() per batch {raw_rate:,.0f}/s "
                           f"({value / raw_rate:.1f}x that){reference}")
    report.result(f"raw diskcache set, {name} (baseline)", raw_rate, "items/s",
                  samples=samples["raw"], in_summary=False)


def main() -> int:
    report = Report("ingest", "one worker's events/s and state patches/s into diskcache")
    with bench_env() as (stack, tmp):
        measure(report, tmp, stack, "events", EVENTS, event_items, "events", 100_000)
        measure(report, tmp, stack, "exception events", EVENTS, exception_items, "events",
                None)  # no target: compare with the events case of the same run
        measure(report, tmp, stack, "state patches", PATCHES, patch_items, "state", 50_000)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
