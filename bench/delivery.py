"""What durable delivery costs and how fast a backlog drains.

1. Spool cost per frame: the daemon's journal (``Delivery.record`` then a group commit every
   ``GROUP`` frames, as the 100 ms window does under load), with and without ``fdatasync``,
   against a bare ``file.write`` of the same bytes in the same run.
2. Outage drain rate: a real daemon spools batches while no broker runs (an app logs through
   the SDK with a short flush interval); then a real broker and worker start and the time
   until the daemon's spool is empty gives batches/s and records/s.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

from _util import (
    DataCatProcess,
    Report,
    bench_env,
    daemon_stats,
    free_port,
    median,
    start_daemon,
    timed,
    wait_until,
)

from datacat.daemon.delivery import Delivery, SpoolSettings
from datacat.protocol import Kind, encode_frame

FRAMES = 20_000
GROUP = 200  # frames per commit: 2,000 frames/s in a 100 ms window
REPEATS = 5
OUTAGE_BATCHES = 300


def frame(n: int) -> bytes:
    records = [[Kind.EVENT, "0190b5a1-0000-7000-8000-000000000001", time.time(), "frame", "info",
                None, [], None, {"i": n * 20 + i}, None] for i in range(20)]
    return encode_frame("bench-client", n, 0, records)


def spool_cost(report: Report, tmp: Path) -> None:
    frames = [frame(n) for n in range(FRAMES)]

    def journal(sync: bool, run: int) -> float:
        delivery = Delivery(SpoolSettings(tmp / f"spool-{sync}-{run}", sync=sync))

        def work() -> None:
            for n, data in enumerate(frames):
                delivery.record(data, 0.0)
                if n % GROUP == GROUP - 1:
                    delivery.commit()
            delivery.commit()

        seconds = timed(work)
        delivery.close()
        return seconds / FRAMES * 1e6

    def bare(run: int) -> float:
        groups = [b"".join(frames[i:i + GROUP]) for i in range(0, FRAMES, GROUP)]
        with open(tmp / f"bare-{run}", "wb") as handle:
            def work() -> None:
                for data in groups:
                    handle.write(data)
                    handle.flush()

            return timed(work) / FRAMES * 1e6

    samples = {"bare": [], False: [], True: []}
    for run in range(REPEATS):
        samples["bare"].append(bare(run))
        samples[False].append(journal(False, run))
        samples[True].append(journal(True, run))
    floor = median(samples["bare"])
    size = len(frames[0])
    report.note(f"{FRAMES:,} frames of 20 events ({size} B each), a commit every {GROUP} frames")
    report.result("bare write per frame (same grouping)", floor, "us", samples=samples["bare"],
                  baseline="the floor: the same bytes, one write + flush per group")
    for sync, label in ((False, "no fdatasync"), (True, "fdatasync per commit")):
        value = median(samples[sync])
        report.result(f"journal per frame ({label})", value, "us", samples=samples[sync],
                      baseline=f"bare write {floor:.2f} us: {value / floor:.1f}x; "
                               f"{value / 20 * 1000:.0f} ns per record")


APP = """
import sys, datacat
s = datacat.create_session("Drain", "1.0")
for i in range(int(sys.argv[1])):
    s.log_event("e", {"i": i})
    if i % 200 == 199:
        s.flush(10)
s.end(timeout=30)
"""


def drain_rate(report: Report, stack, tmp: Path) -> None:
    front, back = f"tcp://127.0.0.1:{free_port()}", f"tcp://127.0.0.1:{free_port()}"
    _, paths = start_daemon(stack, tmp, "drain", front, flush_interval=0.02)
    events = OUTAGE_BATCHES * 200
    env = {"DATACAT_RUNTIME_DIR": str(paths.directory), "DATACAT_BROKER": front,
           "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-c", textwrap.dedent(APP), str(events)], env=env,
                   check=True, timeout=120)
    spooled = wait_until(lambda: (s := daemon_stats(paths)) and s["records_in"] >= events + 2
                         and s["spool_batches"], 60, message="the backlog spooled")
    report.note(f"outage backlog: {spooled} batches, {events:,} events on disk")
    for name, args in (("broker", ["broker", "--frontend", front, "--backend", back]),
                       ("ingest", ["ingest", "--backend", back, "--store",
                                   f"diskcache://{tmp / 'drain-store'}"])):
        stack.callback(DataCatProcess(args, tmp / f"drain-{name}.log").stop)
    wait_until(lambda: daemon_stats(paths)["acked"] >= 1, 60, interval=0.005,
               message="the tier's first ack")
    start, first = time.perf_counter(), daemon_stats(paths)["spool_batches"]
    wait_until(lambda: daemon_stats(paths)["spool_batches"] == 0, 120, interval=0.005,
               message="the backlog drained")
    seconds = time.perf_counter() - start
    report.result("outage drain, batches/s", first / seconds, "batches/s",
                  baseline=f"{first} batches in {seconds:.2f} s after the tier's first ack")
    report.result("outage drain, events/s", events * first / spooled / seconds, "events/s",
                  baseline="one batch in flight; each waits for the previous ack")


def main() -> int:
    report = Report("delivery", "spool cost per frame; outage drain rate")
    with bench_env() as (stack, tmp):
        spool_cost(report, tmp)
        drain_rate(report, stack, tmp)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
