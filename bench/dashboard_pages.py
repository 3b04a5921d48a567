"""Dashboard page server time with 100,000 stored sessions.

The store is built directly with ``apply`` on a tmp ``DiskStore`` (100 batches of 1,000
sessions over 90 days, 3 products x 4 versions, 3,000 machines; ~1% still live, ~4%
crashed with an exception, ~3% hung then recovered; ~10% log an exception; ``ISSUES``
distinct exceptions in all). Then:

1. In this process: the dashboard index's first build from the store (once per server
   start) and one steady refresh (new sessions: none; live sessions re-read).
2. A real ``datacat web`` on that store: ``REPEATS`` requests per page, one page
   after another in rounds; the server time is the page's ``Server-Timing`` header (from
   the handler's first line to the response being built), the wall time is what the
   client saw. Medians. Target: overview, sessions and the issues pages ≤ 50 ms each.
"""

from __future__ import annotations

import random
import sys
import time

import httpx
import psutil
from _util import Report, bench_env, fill_store, interleave, median, serve_web

from datacat.broker.fingerprint import fingerprint
from datacat.broker.store.disk import DiskStore
from datacat.protocol import Kind

SESSIONS = 100_000
BATCH = 1_000
REPEATS = 25
ISSUES = 500
PRODUCTS = [(p, v) for p in ("Orbit", "Forge", "QA-Rig") for v in ("1.0", "1.1", "1.2", "2.0")]
PAGES = {"overview /": "/", "overview json": "/dashboard/overview.json",
         "sessions (newest first)": "/sessions",
         "sessions status=crashed": "/sessions?status=crashed",
         "sessions product+version, 1w": "/sessions?product=Forge&version=1.1&range=1w",
         "sessions sorted by duration": "/sessions?sort=duration",
         "sessions machine filter": "/sessions?machine=rig-7",
         "issues /issues": "/issues", "issues product+version": "/issues?product=Forge&version=1.1",
         "issue page": "/issues/{issue}"}
TARGETS = ("overview /", "sessions (newest first)", "issues /issues", "issues product+version",
           "issue page")


def _exception(kind: int) -> dict:
    """One of ``ISSUES`` exceptions: its own type and innermost function."""
    return {"type": f"Error{kind % 37}", "message": f"failed #{kind}",
            "stacktrace": ["Traceback (most recent call last):\n", f"Error{kind % 37}: failed\n"],
            "frames": [["/app/main.py", "main", 3, True], ["/app/work.py", f"step{kind}", 9, True]]}


def _part(rng: random.Random, n: int, now: float) -> dict:
    """One session: open, then end / crash / hang+recover+end, or nothing (still live)."""
    t0 = now - 90 * 86400 * (1 - n / SESSIONS) + rng.random()
    product, version = PRODUCTS[rng.randrange(len(PRODUCTS))]
    part = {"open": {"product": product, "version": version, "ts": t0, "pid": n,
                     "hostname": f"rig-{n % 40}", "machine_id": f"machine-{n % 3000}"}}
    roll, end = rng.random(), t0 + rng.uniform(10, 3600)
    if rng.random() < 0.1:
        part["events"] = [{"ts": t0 + 1, "name": "exception", "level": "error",
                           "exception": _exception(rng.randrange(ISSUES))}]
    if roll < 0.01:
        return part
    if roll < 0.05:
        part["lifecycle"] = [[int(Kind.CRASH), end, {"reason": "unhandled_exception",
                                                     "exception": _exception(rng.randrange(ISSUES))}]]
    elif roll < 0.08:
        part["lifecycle"] = [[int(Kind.HANG), t0 + 5, {}], [int(Kind.RECOVER), t0 + 9, {}],
                             [int(Kind.END), end, {}]]
    else:
        part["lifecycle"] = [[int(Kind.END), end, {}]]
    return part


def index_costs(report: Report, directory: str) -> None:
    """The index's first build and one steady refresh, in this process."""
    from datacat.web.dashboard.index import SessionIndex, fetch_changes

    store = DiskStore(directory)
    try:
        index = SessionIndex()
        started = time.perf_counter()
        index.apply(fetch_changes(store, index.by_id.__contains__, index.live_ids()))
        report.result("index first build (once per start)", time.perf_counter() - started, "s",
                      baseline=f"{len(index):,} sessions scanned")
        samples = []
        for _ in range(5):
            started = time.perf_counter()
            index.apply(fetch_changes(store, index.by_id.__contains__, index.live_ids()))
            samples.append((time.perf_counter() - started) * 1000)
        report.result("index refresh (background, every >= 1 s)", median(samples), "ms",
                      samples=samples, baseline=f"{len(index.live_ids()):,} live sessions re-read")
    finally:
        store.close()


def main() -> int:
    report = Report("dashboard_pages", f"dashboard page server time, {SESSIONS:,} sessions, "
                                       f"{ISSUES} issues")
    with bench_env() as (stack, tmp):
        directory = str(tmp / "store")
        report.note(f"built the store in {fill_store(directory, SESSIONS, _part, 7, BATCH):.1f} s")
        index_costs(report, directory)
        url, pid = serve_web(stack, tmp, directory)
        with httpx.Client(base_url=url, timeout=120) as client:
            started = time.perf_counter()
            client.get("/").raise_for_status()  # waits for the server's first index build
            report.note(f"first page after start (index build): {time.perf_counter() - started:.1f} s")
            wall: dict[str, list[float]] = {name: [] for name in PAGES}

            def case(name: str, path: str):
                def run() -> float:
                    started = time.perf_counter()
                    response = client.get(path)
                    wall[name].append((time.perf_counter() - started) * 1000)
                    response.raise_for_status()
                    return float(response.headers["server-timing"].split("dur=")[1])
                return run

            issue = fingerprint(_exception(0))
            server = interleave({name: case(name, path.format(issue=issue))
                                 for name, path in PAGES.items()}, REPEATS)
        rss = psutil.Process(pid).memory_info().rss / 2**20
        (tmp / "empty").mkdir()
        empty_url, empty_pid = serve_web(stack, tmp, str(tmp / "empty"))
        httpx.get(empty_url + "/", timeout=30).raise_for_status()
        empty_rss = psutil.Process(empty_pid).memory_info().rss / 2**20
        for name in PAGES:
            report.result(f"{name} server time", median(server[name]), "ms",
                          at_most=50 if name in TARGETS else None, samples=server[name],
                          baseline=f"wall time seen by the client {median(wall[name]):.1f} ms")
        report.result("web process RSS, index of every session", rss, "MB",
                      baseline=f"{empty_rss:.0f} MB on an empty store: the index grows with the "
                               "number of sessions (the target is a flat RSS)")
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
