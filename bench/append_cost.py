"""Append cost as a session grows, and bytes on disk per stored event.

One session in a fresh ``DiskStore`` grows from 0 to ``TOTAL`` events through ``apply()``
in batches of ``BATCH`` events (one transaction each, with its dedup mark). The median
batch time over the first ``WINDOW`` appends is the same-run baseline for the median over
the last ``WINDOW``; their ratio must stay near 1. Repeated ``REPEATS`` times, each on a
fresh store. Bytes on disk: the store directory's files after ``close()``, divided by the
events it holds, next to the size of one packed event.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import msgpack
from _util import Report, batch, bench_env, dir_bytes, make_event, median, open_part, timed

from datacat.broker.apply import apply
from datacat.broker.store.disk import DiskStore

TOTAL = 100_000
BATCH = 10
WINDOW = 1_000
WIDE = 10_000  # totals over this many appends include several WAL checkpoints each
REPEATS = 5
SID = "0190b5a1-0000-7000-8000-000000000001"
ORIGINAL_BYTES_PER_EVENT = 8_200


def grow(directory: Path) -> tuple[list[float], int]:
    """Per-batch seconds while one session grows to ``TOTAL`` events; its stored count."""
    store = DiskStore(str(directory))
    try:
        apply(store, batch(1, {SID: open_part()}))
        now = time.time()
        times = []
        for number in range(TOTAL // BATCH):
            first = number * BATCH
            events = [make_event(first + i, now + (first + i) * 1e-3) for i in range(BATCH)]
            body = batch(number + 2, {SID: {"events": events}})
            times.append(timed(lambda body=body: apply(store, body)))
        stored = store.get_session(SID)["event_count"]
    finally:
        store.close()
    return times, stored


def main() -> int:
    report = Report("append_cost", f"first vs last {WINDOW:,} appends to a session of "
                                   f"{TOTAL:,} events; bytes on disk per event")
    ratios, firsts, lasts, sizes, amortized = [], [], [], [], []
    wide = WIDE // BATCH
    window = WINDOW // BATCH
    with bench_env() as (_, tmp):
        for run in range(REPEATS):
            directory = tmp / f"store-{run}"
            times, stored = grow(directory)
            if stored != TOTAL:
                raise RuntimeError(f"the session holds {stored} events, not {TOTAL}")
            first, last = median(times[:window]), median(times[-window:])
            firsts.append(first / BATCH * 1e6)
            lasts.append(last / BATCH * 1e6)
            ratios.append(last / first)
            amortized.append(sum(times[-wide:]) / sum(times[:wide]))
            sizes.append(dir_bytes(directory) / stored)
            report.note(f"run {run + 1}: {TOTAL:,} events in {sum(times):.2f} s; totals: first "
                        f"{WINDOW:,} appends {sum(times[:window]) * 1e3:.1f} ms (slowest batch "
                        f"{max(times[:window]) * 1e3:.1f} ms), last {WINDOW:,} "
                        f"{sum(times[-window:]) * 1e3:.1f} ms (slowest {max(times[-window:]) * 1e3:.1f} ms)")
    report.note(f"batches of {BATCH} events, one apply() each; per-event times are the "
                f"median batch time / {BATCH}: medians, because SQLite's WAL checkpoint (a "
                f"few ms every ~130 batches whatever the session size) lands in one window "
                f"or the other and swings the totals")
    report.result(f"first {WINDOW:,} appends, per event", median(firsts), "us",
                  samples=firsts, in_summary=False)
    report.result(f"last {WINDOW:,} appends (at {TOTAL - WINDOW:,}+), per event", median(lasts),
                  "us", samples=lasts, in_summary=False)
    report.result(f"last {WINDOW:,} / first {WINDOW:,} appends", median(ratios), "x",
                  at_most=1.2, samples=ratios,
                  baseline=f"the first {WINDOW:,} appends of the same session "
                           f"({median(firsts):.1f} us/event); the original grew 2.2 us/event "
                           f"per event held (reference)")
    report.result(f"last {WIDE:,} / first {WIDE:,} appends, totals", median(amortized), "x",
                  samples=amortized, in_summary=False)
    packed = len(msgpack.packb(dict(make_event(TOTAL, time.time()), recv=time.time(), seq=TOTAL)))
    report.result("bytes on disk per stored event", median(sizes), "B", at_most=300,
                  samples=sizes,
                  baseline=f"one packed event is {packed} B; the original "
                           f"{ORIGINAL_BYTES_PER_EVENT:,} B (reference)")
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
