"""Dashboard page server time with 100,000 stored sessions, on diskcache or (``--redis``) on
a redis-server started here.

The store is built directly with ``apply`` (100 batches of 1,000
sessions over 90 days, 3 products x 4 versions, 3,000 machines; ~1% still live, ~4%
crashed with an exception, ~3% hung then recovered; ~10% log an exception; ``ISSUES``
distinct exceptions in all). Then:

a real ``datacat web`` on that store serves ``REPEATS`` requests per page, one page after
another in rounds; the server time is the page's ``Server-Timing`` header (from the
handler's first line to the response being built; the JSON API sends none, so its wall
time stands for it), the wall time is what the client saw.
Medians. Targets: the pages ≤ 50 ms each, the crashed-sessions listing ≤ 20 ms, and the
web process's RSS at rest (two heap trims after the last page) ≤ 1.2x that of a web
process that served the same pages of an empty store.
"""

from __future__ import annotations

import random
import sys
import time

import httpx
import psutil
from _util import Report, bench_env, fill_store, interleave, median, serve_web

from datacat.broker.fingerprint import fingerprint
from datacat.protocol import Kind
from datacat.web.heap import TRIM_INTERVAL
from tests.redis_servers import RedisServer, redis_missing

SESSIONS = 100_000
BATCH = 1_000
REPEATS = 25
ISSUES = 500
PRODUCTS = [(p, v) for p in ("Orbit", "Forge", "QA-Rig") for v in ("1.0", "1.1", "1.2", "2.0")]
PAGES = {"overview /": "/", "overview json": "/dashboard/overview.json",
         "sessions (newest first)": "/sessions", "product page": "/products/Forge",
         "api v1 sessions status=crashed since 1w":
             "/api/v1/sessions?status=crashed&since={since}",
         "sessions status=crashed": "/sessions?status=crashed",
         "sessions product+version, 1w": "/sessions?product=Forge&version=1.1&range=1w",
         "sessions sorted by duration": "/sessions?sort=duration",
         "sessions machine filter": "/sessions?machine=rig-7",
         "issues /issues": "/issues", "issues product+version": "/issues?product=Forge&version=1.1",
         "issue page": "/issues/{issue}", "products index": "/products",
         "compare two versions": "/compare?product=Forge&a=1.1&b=1.2"}
#: Page -> its target server time in ms.
TARGETS = {"overview /": 50, "sessions (newest first)": 50, "product page": 50,
           "api v1 sessions status=crashed since 1w": 20, "issues /issues": 50,
           "issues product+version": 50, "issue page": 50, "products index": 50,
           "compare two versions": 50}


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


def _store(stack, tmp, redis: bool) -> tuple[str, str]:
    """``(store URL, URL of an empty store on the same backend)``."""
    if not redis:
        (tmp / "empty").mkdir()
        return f"diskcache://{tmp / 'store'}", f"diskcache://{tmp / 'empty'}"
    server = RedisServer(tmp / "redis")
    stack.callback(server.stop)
    return server.fresh_url(), server.url.rsplit("/", 1)[0] + "/1"


def main() -> int:
    redis = "--redis" in sys.argv[1:]
    backend = "Redis" if redis else "diskcache"
    report = Report("dashboard_pages" + ("_redis" if redis else ""),
                    f"dashboard page server time on {backend}, {SESSIONS:,} sessions, "
                    f"{ISSUES} issues")
    if redis and redis_missing():
        report.note(f"skipped: {redis_missing()}")
        return report.finish()
    with bench_env() as (stack, tmp):
        store_url, empty_url = _store(stack, tmp, redis)
        report.note(f"built the store in {fill_store(store_url, SESSIONS, _part, 7, BATCH):.1f} s")
        empty, empty_pid = serve_web(stack, tmp, empty_url)
        httpx.get(empty + "/", timeout=30).raise_for_status()
        url, pid = serve_web(stack, tmp, store_url)
        with httpx.Client(base_url=url, timeout=120) as client:
            started = time.perf_counter()
            client.get("/").raise_for_status()
            report.note(f"first page after start: {(time.perf_counter() - started) * 1000:.0f} ms")
            wall: dict[str, list[float]] = {name: [] for name in PAGES}

            def case(name: str, path: str):
                def run() -> float:
                    started = time.perf_counter()
                    response = client.get(path)
                    wall[name].append((time.perf_counter() - started) * 1000)
                    response.raise_for_status()
                    timing = response.headers.get("server-timing")  # the API has none:
                    return float(timing.split("dur=")[1]) if timing else wall[name][-1]  # wall
                return run

            since = int(time.time() - 7 * 86400)
            server = interleave({name: case(name, path.format(issue=fingerprint(_exception(0)),
                                                               since=since))
                                 for name, path in PAGES.items()}, REPEATS)
        time.sleep(2 * TRIM_INTERVAL)  # both at rest: each has given back what it freed
        rss = psutil.Process(pid).memory_info().rss / 2**20
        empty_rss = psutil.Process(empty_pid).memory_info().rss / 2**20
        for name in PAGES:
            report.result(f"{name} server time", median(server[name]), "ms",
                          at_most=TARGETS.get(name), samples=server[name],
                          baseline=f"wall time seen by the client {median(wall[name]):.1f} ms")
        report.result("web process RSS after every page", rss / empty_rss, "x empty",
                      at_most=1.2, baseline=f"{rss:.0f} MB, against {empty_rss:.0f} MB for a web "
                                            "process that served the same pages of an empty store")
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
