"""The daemon: how much it reduces traffic, and how fast it takes client records in.

1. Reduction: a real broker, one real ingest worker (tmp diskcache store) and a real daemon
   (flush interval 1 s); this process is the app: ``SESSIONS`` SDK sessions, each making
   ``RATE`` state updates and as many events per second for ``SECONDS`` seconds. The
   daemon's own counters give records in vs batches out and bytes in vs bytes out, per
   second (median) and in total; the store is read back to check nothing was lost.
2. Throughput: ``RECORDS`` records (state, event and metric records in equal parts over 20
   sessions the daemon watches, opened as this process's), packed beforehand in frames of
   ``FRAME_RECORDS``, PUSHed as fast as zmq takes them to a fresh daemon whose broker
   address has nothing listening (so no worker competes for the 2 cores); the clock stops
   when its ``records_in`` reaches the total. Read against decoding the same frames in
   this process (``msgpack.unpackb`` alone, and the daemon's own ``split_frame`` (small
   events kept as bytes, the rest decoded and checked) + ``Windows.add`` + ``encode_batch``).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time

import msgpack
import psutil
import zmq
from _util import (
    Report,
    bench_env,
    daemon_stats,
    free_port,
    interleave,
    median,
    start_daemon,
    start_tier,
    timed,
    wait_until,
)

from datacat.daemon.window import MAX_RECORDS, Windows
from datacat.protocol import FrameEncoder, Kind, encode_batch, encode_frame, split_frame
from datacat.transport import FRAME_RECORDS

SESSIONS = 20
RATE = 100  # state updates (and events) per session per second
SECONDS = 10
RECORDS = 600_000
REPEATS = 3
WARMUP_FRAMES = 50
STAGE_RECORDS = 200_000  # records decoded in-process per repeat, for the baselines

_COUNTERS = ("records_in", "frames_in", "bytes_in", "batches_out", "bytes_out")


def reduction(report: Report) -> None:
    with bench_env() as (stack, tmp):
        from datacat.broker.store.disk import DiskStore

        frontend = start_tier(stack, tmp, f"diskcache://{tmp / 'store'}")
        _, paths = start_daemon(stack, tmp, "run", frontend, flush_interval=1.0)
        os.environ["DATACAT_RUNTIME_DIR"] = str(paths.directory)
        import datacat

        sessions = [datacat.create_session("bench", "1.0") for _ in range(SESSIONS)]
        stack.callback(datacat.shutdown, 5.0)
        samples = [daemon_stats(paths)]
        start = time.monotonic()
        ticks = SECONDS * RATE
        for tick in range(ticks):
            for session in sessions:
                session.update_state({"frame": tick, "fps": 59.8 + tick % 3,
                                      "scene": {"name": "level-3", "enemies": tick % 7}})
                session.log_event("tick", {"i": tick})
            if (tick + 1) % RATE == 0:
                samples.append(daemon_stats(paths))
            time.sleep(max(0.0, start + (tick + 1) / RATE - time.monotonic()))  # pacing
        elapsed = time.monotonic() - start
        for session in sessions:
            session.end(timeout=10)

        def settled() -> dict | None:
            stats = daemon_stats(paths)
            done = (stats and stats["sessions"] == 0 and stats["outbox"] == 0
                    and stats["acked"] == stats["batches_out"])
            return stats if done else None

        final = wait_until(settled, 60,
                           message="the daemon to flush and the worker to ack everything")
        report.note(f"{SESSIONS} sessions x {RATE} state updates/s + {RATE} events/s for "
                    f"{elapsed:.1f} s (flush interval 1 s), real broker + 1 worker + daemon")
        ratios = []
        for before, after in zip(samples, samples[1:]):
            records = after["records_in"] - before["records_in"]
            batches = after["batches_out"] - before["batches_out"]
            if batches:
                ratios.append(records / batches)
        report.result("records in per batch out, per second", median(ratios), "x",
                      at_least=100, samples=ratios,
                      baseline="records in vs batches out in the same second")
        total = {name: final[name] - samples[0][name] for name in _COUNTERS}
        report.note("totals: " + ", ".join(f"{name} {total[name]:,}" for name in _COUNTERS)
                    + f"; rejected {final['rejected']}")
        report.result("records in / batches out, whole run", total["records_in"]
                      / max(1, total["batches_out"]), "x", at_least=100,
                      baseline=f"{total['records_in']:,} records in, "
                               f"{total['batches_out']:,} batches out")
        report.result("bytes in / bytes out, whole run", total["bytes_in"]
                      / max(1, total["bytes_out"]), "x",
                      baseline=f"{total['bytes_in']:,} B in, {total['bytes_out']:,} B out "
                               f"(events pass through whole; state coalesces)")

        stack.close()  # stop the worker before reading its store
        store = DiskStore(str(tmp / "store"))
        try:
            stored = [store.get_session(session.id) or {} for session in sessions]
        finally:
            store.close()
        events = sum(item.get("event_count", 0) for item in stored)
        patches = sum(item.get("history_count", 0) for item in stored)
        ended = sum(item.get("status") == "ended" for item in stored)
        report.note(f"store check: {events:,} events stored of {SESSIONS * ticks:,} logged; "
                    f"{patches:,} state patches stored for {SESSIONS * ticks:,} updates; "
                    f"{ended} of {SESSIONS} sessions ended")


CLIENT = "bench-client-0"


def from_client(frames: list[bytes], number: int) -> list[bytes]:
    """The same frames as sent by another client (one of ten): the daemon takes each frame
    of a client once, so every run needs a client of its own."""
    name = f"bench-client-{number}".encode()
    return [frame.replace(CLIENT.encode(), name, 1) for frame in frames]


def open_frame() -> bytes:
    """One frame opening the bench's sessions as this process's: the daemon watches them,
    as it does every app's sessions, so each record also goes through its watcher."""
    pid, started = os.getpid(), psutil.Process().create_time()
    records = [(Kind.OPEN.value, sid, time.time(), "bench", "1.0", pid, started, None, None,
                None, "bench", 60.0, None, None) for sid in SIDS]
    return encode_frame("bench-opener", 1, 0, records)


SIDS = [f"0190b5a1-0000-7000-8000-{n:012d}" for n in range(SESSIONS)]


def frames_for(total: int) -> list[bytes]:
    """Client frames holding ``total`` records: state, event and metric records in turn."""
    now = time.time()
    records = []
    for n in range(total):
        sid, ts = SIDS[n % SESSIONS], now + n * 1e-6
        kind = n % 3
        if kind == 0:
            records.append((Kind.STATE.value, sid, ts, {"frame": n, "fps": 59.8}))
        elif kind == 1:
            records.append((Kind.EVENT.value, sid, ts, "tick", "info", None, (), None,
                            {"i": n}, None))
        else:
            records.append((Kind.METRIC.value, sid, ts, "fps", 59.8, "gauge", None, None, None))
    encoder = FrameEncoder()
    return [encode_frame(CLIENT, seq, 0, records[start:start + FRAME_RECORDS], encoder)
            for seq, start in enumerate(range(0, total, FRAME_RECORDS), start=1)]


def throughput(report: Report) -> None:
    frames = frames_for(RECORDS)
    with bench_env() as (stack, tmp):
        pid, paths = start_daemon(stack, tmp, "push", f"tcp://127.0.0.1:{free_port()}")
        daemon = psutil.Process(pid)
        context = zmq.Context()
        push = context.socket(zmq.PUSH)
        push.setsockopt(zmq.LINGER, 0)
        push.connect(paths.daemon_endpoint)
        stack.callback(context.term)
        stack.callback(push.close, 0)

        def records_in() -> int:
            stats = daemon_stats(paths, timeout=10)
            if stats is None:
                raise RuntimeError("the daemon stopped answering")
            return stats["records_in"]

        def push_all(batch: list[bytes]) -> tuple[float, float]:
            """Records/s by the wall clock and per second of the daemon's CPU."""
            total = FRAME_RECORDS * len(batch)
            target = records_in() + total
            cpu = sum(daemon.cpu_times()[:2])
            start = time.perf_counter()
            for frame in batch:
                push.send(frame, copy=False)
            wait_until(lambda: records_in() >= target, 120, interval=0.005,
                       message="the daemon to take every record in")
            wall = time.perf_counter() - start
            return total / wall, total / (sum(daemon.cpu_times()[:2]) - cpu)

        push.send(open_frame())
        push_all(frames[:WARMUP_FRAMES])  # warm-up: the sessions exist, as in steady use
        rates = [push_all(from_client(frames, run)) for run in range(1, REPEATS + 1)]
        report.note(f"{RECORDS:,} records in frames of {FRAME_RECORDS:,} pushed to the daemon "
                    f"({sum(map(len, frames)) / RECORDS:.0f} B/record), {REPEATS} runs after "
                    f"a warm-up; in-process baselines on {STAGE_RECORDS:,} of them, GC on")

    sample = frames[:STAGE_RECORDS // FRAME_RECORDS]

    def rate(work) -> float:
        return STAGE_RECORDS / timed(work)

    def unpack() -> None:
        for frame in sample:
            msgpack.unpackb(frame)

    def split() -> None:
        for frame in sample:
            split_frame(frame)

    def daemon_work() -> None:  # what the daemon does per frame, flushes included
        windows = Windows()
        for frame in sample:
            for record in split_frame(frame).records:
                windows.add(record)
            if windows.pending_records >= MAX_RECORDS:
                encode_batch({"sessions": windows.build()})
        encode_batch({"sessions": windows.build()})

    stages = interleave({"msgpack.unpackb": lambda: rate(unpack),
                         "split_frame": lambda: rate(split),
                         "split_frame + Windows.add + encode_batch": lambda: rate(daemon_work)},
                        REPEATS)
    for name, values in stages.items():
        report.result(f"in-process {name}", median(values), "records/s", samples=values,
                      in_summary=False)
    wall = [rate for rate, _ in rates]
    per_cpu = [rate for _, rate in rates]
    in_process = median(stages["split_frame + Windows.add + encode_batch"])
    unpackb = median(stages["msgpack.unpackb"])
    report.result("daemon intake, records/s (wall clock)", median(wall), "records/s",
                  at_least=1_000_000, samples=wall,
                  baseline=f"the same work in-process {in_process:,.0f}/s "
                           f"({median(wall) / in_process:.2f}x); msgpack.unpackb alone "
                           f"{unpackb:,.0f}/s")
    report.result("daemon intake per CPU-second of the daemon", median(per_cpu), "records/s",
                  samples=per_cpu, in_summary=False)


def main() -> int:
    report = Report("daemon_reduction", "daemon batching and intake rate")
    reduction(report)
    with contextlib.suppress(KeyError):
        del os.environ["DATACAT_RUNTIME_DIR"]
    throughput(report)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
