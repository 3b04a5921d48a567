"""What every benchmark shares: repeats and medians, the result lines, real child processes
(``tests/helpers.py``'s, shared with the test suite).

Each script prints human-readable lines and, last, one ``BENCH-SUMMARY {json}`` line that
``run_all.py`` collects into its table. Child processes are real ``datacat`` commands on free
ports in a tmp directory; ``bench_env`` stops them (SIGTERM, then SIGKILL) however the
script ends, SIGTERM from ``run_all`` included.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import signal
import sys
import tempfile
import time
import timeit
from collections.abc import Callable, Iterator
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo, for tests.helpers
from datacat.protocol import daemon_id_of  # noqa: E402
from tests.helpers import DataCatProcess, free_port, wait_until  # noqa: E402

__all__ = [
    "SUMMARY_MARK", "median", "timed", "call_loop", "interleave", "Report", "fmt",
    "DataCatProcess", "free_port", "wait_until", "bench_env", "start_daemon", "start_tier",
    "serve_web", "daemon_stats", "make_event", "make_patch", "batch", "open_part", "fill_store", "dir_bytes",
]

SUMMARY_MARK = "BENCH-SUMMARY "
DAEMON_KEY = "bench-daemon-key"
DAEMON_ID = daemon_id_of(DAEMON_KEY)


# -- timing -----------------------------------------------------------------------------
def timed(fn: Callable[[], object]) -> float:
    """Wall seconds one call of ``fn`` takes."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def call_loop(stmt: str, namespace: dict, number: int,
              before: Callable[[], object] | None = None,
              collect: bool = True) -> Callable[[], float]:
    """A function timing one ``timeit`` loop of ``number`` runs of ``stmt``, in ns per run.

    Compiled once, so calling it costs the loop and nothing else. The garbage collector
    stays on, as in an app, unless ``collect`` is false (``timeit``'s own default);
    ``before`` runs untimed before each loop.
    """
    def setup() -> None:
        if before is not None:
            before()
        if collect:
            gc.enable()  # timeit turns it off around the loop

    timer = timeit.Timer(stmt, setup, globals=namespace)
    return lambda: timer.timeit(number) / number * 1e9


def interleave(cases: dict[str, Callable[[], float]], repeats: int) -> dict[str, list[float]]:
    """Run every case once per round, ``repeats`` rounds, so all share the machine's noise."""
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeats):
        for name, case in cases.items():
            samples[name].append(case())
    return samples


# -- reporting --------------------------------------------------------------------------
def fmt(value: float) -> str:
    """Three significant digits, thousands separated."""
    if value == 0 or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.{2 - int(f'{abs(value):e}'.split('e')[1])}f}"


class Report:
    """The lines of one benchmark and its rows for the summary table."""

    def __init__(self, name: str, what: str):
        self.name = name
        self.rows: list[dict] = []
        print(f"== {name}: {what}", flush=True)

    def note(self, text: str) -> None:
        print(f"   {text}", flush=True)

    def result(self, metric: str, value: float, unit: str, *, at_most: float | None = None,
               at_least: float | None = None, baseline: str = "", samples: list | None = None,
               in_summary: bool = True) -> None:
        """One measured figure; ``at_most``/``at_least`` is its target, ``baseline`` the
        same-run comparison it is read against."""
        met = None
        target = ""
        if at_most is not None:
            met, target = value <= at_most, f"<= {fmt(at_most)}"
        elif at_least is not None:
            met, target = value >= at_least, f">= {fmt(at_least)}"
        spread = ""
        if samples and len(samples) > 1:
            spread = f"  (median of {len(samples)}, {fmt(min(samples))}..{fmt(max(samples))})"
        verdict = "" if met is None else ("  [target met]" if met else "  [TARGET MISSED]")
        print(f"   {metric:<44} {fmt(value):>12} {unit:<10}{spread}"
              + (f"  target {target}" if target else "") + verdict
              + (f"\n   {'':<44} {'':>12} {'':<10}  vs {baseline}" if baseline else ""),
              flush=True)
        if in_summary:
            self.rows.append({"bench": self.name, "metric": metric, "value": value, "unit": unit,
                              "target": target, "met": met, "baseline": baseline})

    def finish(self) -> int:
        print(SUMMARY_MARK + json.dumps(self.rows), flush=True)
        return 0


# -- processes (the test suite's helpers: free ports, deadlines, real children) ---------
@contextlib.contextmanager
def bench_env() -> Iterator[tuple[contextlib.ExitStack, Path]]:
    """An exit stack for teardown and a tmp directory; SIGTERM unwinds both."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    os.environ.pop("DATACAT_DAEMON", None)  # the daemons here live in their runtime dirs
    with tempfile.TemporaryDirectory(prefix="datacat-bench-") as tmp, \
            contextlib.ExitStack() as stack:
        yield stack, Path(tmp)


def start_tier(stack: contextlib.ExitStack, tmp: Path, store_url: str) -> str:
    """A real broker and one ingest worker; returns the endpoint daemons connect to."""
    frontend = f"tcp://127.0.0.1:{free_port()}"
    backend = f"tcp://127.0.0.1:{free_port()}"
    for name, args in (("broker", ["broker", "--frontend", frontend, "--backend", backend]),
                       ("ingest", ["ingest", "--backend", backend, "--store", store_url])):
        stack.callback(DataCatProcess(args, tmp / f"{name}.log").stop)
    return frontend


def start_daemon(stack: contextlib.ExitStack, tmp: Path, name: str, broker: str,
                 flush_interval: float = 1.0):
    """A real daemon in its own runtime dir; returns ``(pid, RuntimePaths)`` once it answers."""
    from datacat.runtime import RuntimePaths

    paths = RuntimePaths(tmp / name)
    child = DataCatProcess(["daemon", "--broker", broker], tmp / f"{name}.log",
                           {"DATACAT_RUNTIME_DIR": str(paths.directory),
                            "DATACAT_FLUSH_INTERVAL": str(flush_interval)})
    stack.callback(child.stop)

    def ready() -> bool:
        if child.process.poll() is not None:
            raise RuntimeError(f"the daemon exited:\n{child.log()[-1500:]}")
        return daemon_stats(paths, timeout=0.5) is not None

    wait_until(ready, 30, message="the daemon to answer stats")
    return child.process.pid, paths


def serve_web(stack: contextlib.ExitStack, tmp: Path, store_url: str) -> tuple[str, int]:
    """A real ``datacat web`` on the store at ``store_url``; its URL and pid once
    ``/health`` answers."""
    import httpx

    port = free_port()
    web = DataCatProcess(["web", "--store", store_url, "--port", str(port)],
                         tmp / f"web-{port}.log")
    stack.callback(web.stop)
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: httpx.get(url + "/health", timeout=2).status_code == 200, 60,
               message="the web app to answer /health")
    return url, web.process.pid


def daemon_stats(paths, timeout: float = 2.0) -> dict | None:
    """The daemon's counters (``None`` if it does not answer within ``timeout``)."""
    from datacat.control import ask

    return ask(paths.control_endpoint, {"op": "stats"}, timeout=timeout)


# -- data -------------------------------------------------------------------------------
def make_event(n: int, ts: float) -> dict:
    """An event as the daemon forwards it (empty fields left out)."""
    return {"ts": ts, "name": "frame", "level": "info",
            "data": {"i": n, "scene": "level-3", "fps": 59.8}}


def make_patch(n: int) -> dict:
    """A state patch that changes something every time."""
    return {"frame": n, "fps": 59.8 + n % 3, "scene": {"name": f"level-{n // 100}",
                                                       "enemies": n % 7}}


def batch(seq: int, parts: dict) -> dict:
    """A daemon batch carrying ``parts`` (``{sid: part}``)."""
    return {"v": 1, "daemon_id": DAEMON_ID, "key": DAEMON_KEY, "seq": seq, "host": "bench",
            "sent_at": time.time(), "stats": {}, "sessions": parts}


def open_part(product: str = "bench") -> dict:
    return {"open": {"product": product, "version": "1.0", "pid": 1, "ts": time.time()}}


def fill_store(store_url: str, sessions: int, part: Callable, seed: int,
               per_batch: int = 1_000) -> float:
    """The store at ``store_url`` filled with ``sessions`` sessions, each
    ``part(rng, n, now)``, applied ``per_batch`` at a time; returns the seconds it took."""
    import random

    from datacat.broker.apply import apply
    from datacat.broker.store import open_store

    rng, now, started = random.Random(seed), time.time(), time.perf_counter()
    store = open_store(store_url)
    try:
        for first in range(0, sessions, per_batch):
            parts = {f"0190b5a1-0000-7000-8000-{n:012d}": part(rng, n, now)
                     for n in range(first, min(sessions, first + per_batch))}
            apply(store, {"sessions": parts}, now=now)
    finally:
        store.close()
    return time.perf_counter() - started


def dir_bytes(path: Path) -> int:
    """Bytes of every file below ``path``."""
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())
