"""Client call cost: what ``log_event``/``log_metric``/``update_state`` cost the app.

1. Per call as the caller sees it (ns, median of interleaved loops of ``CALLS`` calls, the
   queue drained between loops, the garbage collector on as in an app), next to a plain
   ``deque.append`` of a tuple with a timestamp; for reference the same calls with the
   collector off (what ``timeit`` shows by default: the records the queue holds are
   tracked containers, and collections walking them are the rest) and packing of the same
   event by msgpack and by the SDK's ``FrameEncoder`` (msgspec).
2. Total app CPU per call, the SDK's flusher thread and zmq I/O thread included:
   ``time.process_time`` over ``CPU_CALLS`` calls made at a sustained (high) rate and
   delivered to a real daemon (its broker address has nothing listening, which does not
   matter to the client side).
3. An error-level call (it writes the spill file first), and ``end()`` right after a burst
   of ``END_BURST`` events, until the daemon has them all.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from collections import deque

import msgpack
from _util import Report, bench_env, call_loop, free_port, interleave, median, start_daemon

from datacat.protocol import FrameEncoder

CALLS = 1_000  # per timed loop: an app's burst; the queue is drained between loops
REPEATS = 101
CPU_CALLS = 200_000
CPU_BURST = 1_000  # calls in a row, a burst every CPU_PERIOD seconds
CPU_PERIOD = 0.005  # 200k calls/s sustained: the flusher drains ~10k records per tick
CPU_REPEATS = 3

FLOOR = "floor.append((1, 'sid', time.time(), 'e'))"
STATEMENTS = {
    "log_event": "session.log_event('e', {'i': 1})",
    "log_metric": "session.log_metric('fps', 59.8)",
    "update_state": "session.update_state({'a': 1})",
}


class GCClock:
    """Wall time the cyclic garbage collector runs, from ``gc.callbacks``."""

    def __init__(self):
        self.seconds = 0.0
        self._start = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._start

    def __enter__(self) -> GCClock:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc_info) -> None:
        gc.callbacks.remove(self)


def call_cost(report: Report, session, namespace: dict) -> float:
    """Per-call cost seen by the caller; returns the ``deque.append`` floor in ns."""
    floor = namespace["floor"]
    transport = session._transport

    def drained() -> None:
        floor.clear()
        session.flush(10)

    def case(stmt: str, collect: bool = True):
        return call_loop(stmt, namespace, CALLS, drained, collect)

    dropped = transport.dropped
    samples = interleave({
        "floor": case(FLOOR),
        **{name: case(stmt) for name, stmt in STATEMENTS.items()},
        **{f"{name}, GC off": case(stmt, collect=False) for name, stmt in STATEMENTS.items()},
        "packb": case("msgpack.packb(event)"),
        "Packer.pack": case("packer.pack(event)"),
        "FrameEncoder.encode": case("encoder.encode(event)"),
    }, REPEATS)
    floor_ns = median(samples["floor"])
    report.note(f"per call as seen by the caller: {REPEATS} interleaved loops of {CALLS:,} "
                f"calls each, GC on, queue drained between loops; records dropped: "
                f"{transport.dropped - dropped}")
    report.result("deque.append((1, sid, time.time(), e))", floor_ns, "ns",
                  samples=samples["floor"], baseline="the floor every call is read against")
    for name in STATEMENTS:
        value = median(samples[name])
        report.result(f"{name} per call", value, "ns", at_most=300, samples=samples[name],
                      baseline=f"deque.append floor {floor_ns:.0f} ns: {value / floor_ns:.2f}x")
    for name in STATEMENTS:
        report.result(f"{name} per call, GC off (the call alone)",
                      median(samples[f"{name}, GC off"]), "ns",
                      samples=samples[f"{name}, GC off"], in_summary=False)
    for name in ("packb", "Packer.pack", "FrameEncoder.encode"):
        report.result(f"{name} of one event (reference)", median(samples[name]), "ns",
                      samples=samples[name], in_summary=False)
    return floor_ns


def cpu_cost(report: Report, session, namespace: dict) -> None:
    """Total process CPU per call at a sustained rate, flusher and zmq threads included."""
    transport = session._transport

    def case(stmt: str):
        burst = call_loop(stmt, namespace, CPU_BURST)

        def run() -> tuple[float, float]:
            namespace["floor"].clear()
            session.flush(10)
            dropped = transport.dropped
            start, begin = time.process_time(), time.monotonic()
            with GCClock() as collector:
                for number in range(CPU_CALLS // CPU_BURST):
                    burst()
                    time.sleep(max(0.0, begin + (number + 1) * CPU_PERIOD - time.monotonic()))
                if not session.flush(30):
                    raise RuntimeError("the daemon did not receive every record in time")
            cpu = time.process_time() - start
            if transport.dropped != dropped:
                raise RuntimeError(f"{transport.dropped - dropped} records were dropped")
            return cpu / CPU_CALLS * 1e9, collector.seconds / CPU_CALLS * 1e9
        return run

    runs = interleave({"floor": case(FLOOR),
                       **{name: case(stmt) for name, stmt in STATEMENTS.items()}}, CPU_REPEATS)
    report.note(f"total app CPU per call (process_time: the app thread, the SDK's flusher and "
                f"zmq threads): {CPU_CALLS:,} calls at {CPU_BURST / CPU_PERIOD:,.0f} calls/s "
                f"in bursts of {CPU_BURST:,}, all delivered to the daemon; the floor statement "
                f"under the same pacing is the harness's own cost")
    floor = median(cpu for cpu, _ in runs["floor"])
    report.result("deque.append floor, total CPU per call", floor, "ns",
                  samples=[cpu for cpu, _ in runs["floor"]], in_summary=False)
    for name in STATEMENTS:
        cpu = [value for value, _ in runs[name]]
        collected = median(gc_ns for _, gc_ns in runs[name])
        value = median(cpu)
        report.result(f"{name} total app CPU per call", value, "ns", at_most=500,
                      samples=cpu,
                      baseline=f"the floor under the same pacing {floor:.0f} ns "
                               f"({value / floor:.1f}x); cyclic GC {collected:.0f} ns of it; "
                               f"the original async client 5,000-9,000 (reference)")


END_BURST = 100_000
END_REPEATS = 5


def end_cost(report: Report) -> None:
    """``end()`` right after a burst of ``END_BURST`` events: until the daemon has them all."""
    import datacat

    samples = []
    for _ in range(END_REPEATS):
        session = datacat.create_session("bench", "1.0")
        for i in range(END_BURST):
            session.log_event("e", {"i": i})
        start = time.perf_counter()
        if not session.end(timeout=30):
            raise RuntimeError("end() did not deliver the burst")
        samples.append((time.perf_counter() - start) * 1000)
    report.result(f"end() after a burst of {END_BURST:,} log_event calls", median(samples), "ms",
                  at_most=200, samples=samples,
                  baseline="until the daemon has every record on disk")


ERROR_REPEATS = 301
ERROR_QUEUED = 100  # ordinary records queued before each error-level call


def error_cost(report: Report, session) -> None:
    """An error-level call: it packs what is queued and writes it to the spill file first."""
    samples = []
    for _ in range(ERROR_REPEATS):
        session.flush(10)
        for i in range(ERROR_QUEUED):
            session.log_event("e", {"i": i})
        start = time.perf_counter_ns()
        session.log_event("failure", {"i": 1}, level="error")
        samples.append(time.perf_counter_ns() - start)
    report.result(f"error-level log_event seen by the caller ({ERROR_QUEUED} records queued "
                  f"before it)", median(samples), "ns", samples=samples, in_summary=False)


def main() -> int:
    report = Report("client_call", "SDK call cost seen by the caller and total app CPU per call")
    with bench_env() as (stack, tmp):
        _, paths = start_daemon(stack, tmp, "run", f"tcp://127.0.0.1:{free_port()}")
        os.environ["DATACAT_RUNTIME_DIR"] = str(paths.directory)
        import datacat

        session = datacat.create_session("bench", "1.0")
        stack.callback(datacat.shutdown, 5.0)
        if not session.flush(30):
            raise RuntimeError("the SDK could not reach the daemon")
        event = (3, session.id, time.time(), "e", "info", None, (), None, {"i": 1}, None)
        namespace = {"session": session, "floor": deque(), "time": time, "msgpack": msgpack,
                     "packer": msgpack.Packer(), "encoder": FrameEncoder(), "event": event}
        call_cost(report, session, namespace)
        cpu_cost(report, session, namespace)
        error_cost(report, session)
        end_cost(report)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
