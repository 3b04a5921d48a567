"""REST writes and ``GET /api/sessions/{id}`` on one real ``datacat web`` (diskcache store).

An asyncio load generator (``_http_load``) on keep-alive connections, one request in
flight per connection, each connection writing to its own session. In rounds, so every
case shares the machine's noise: each write route (the original's ``/api/...``: events,
state, metrics, create session) at c=1 and c=16 for ``SECONDS`` each; a bare Sanic handler
that parses the same event body and answers ``{"status": "ok"}`` (``_bare_sanic.py``) at
c=1 and c=16, the same-run baseline; events at c=16 over two web processes sharing the
store; ``GET /api/sessions/{id}`` at c=1 on sessions of 100 and 10,000 events. Medians
of ``ROUNDS`` rounds. Each case also reports the server's CPU time per request (user +
system, from ``psutil``), which the machine's other load moves far less than the rates.

Targets (issue 12): each route's rate >= 2x the original's (its figures, measured against
its Go server on BadgerDB, are quoted) or >= 80 % of bare Sanic, whichever is lower; p50
at c=1 <= 350 us; GET p50 <= 1 ms (100 events) and <= 25 ms (10,000 events).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
from _http_load import Result, request, run
from _util import DataCatProcess, Report, bench_env, free_port, make_event, median, wait_until

from datacat.broker.apply import apply
from datacat.broker.store.disk import DiskStore

SECONDS = 0.8
ROUNDS = 5
CONCURRENCY = (1, 16)
#: The original's rates (req/s) from issue 12: (route, concurrency) -> rate.
ORIGINAL = {("events", 1): 2635, ("events", 16): 2517, ("state", 16): 1841,
            ("metrics", 16): 1839, ("create", 16): 7513}
ORIGINAL_GET_P50_MS = {100: 1.1}
GET_TARGET_MS = {100: 1.0, 10_000: 25.0}
P50_TARGET_US = 350
SID = "0190b5a1-0000-7000-8000-{:012d}"

_EVENT = b'{"name":"frame","level":"info","message":"drawn","data":{"i":%d,"fps":59.8}}'
_STATE = b'{"frame":%d,"scene":"level-3"}'
_METRIC = b'{"name":"fps","value":59.8,"type":"gauge","unit":"fps"}'
_CREATE = b'{"product":"bench","version":"1.0","machine_id":"rig-1","hostname":"rig"}'


def _writer(route: str, sids: list[str]):
    """``make(connection, n)`` for one route: connection ``i`` writes to ``sids[i]``."""
    if route == "create":
        payload = request("POST", "/api/sessions", _CREATE)
        return lambda i, n: payload
    if route == "metrics":
        payloads = [request("POST", f"/api/sessions/{sid}/metrics", _METRIC) for sid in sids]
        return lambda i, n: payloads[i]
    body = _EVENT if route == "events" else _STATE
    return lambda i, n: request("POST", f"/api/sessions/{sids[i]}/{route}", body % n)


def _fill(directory: str, sizes: tuple[int, ...]) -> dict[int, str]:
    """Sessions of each size in ``sizes`` events, written before the servers start."""
    store, sids = DiskStore(directory), {}
    try:
        for number, size in enumerate(sizes):
            sid = sids[size] = SID.format(900 + number)
            apply(store, {"sessions": {sid: {"open": {"product": "bench", "version": "1.0",
                                                      "ts": 1.7e9}}}})
            for first in range(0, size, 500):
                events = [make_event(n, 1.7e9 + n) for n in range(first, min(size, first + 500))]
                apply(store, {"sessions": {sid: {"events": events}}})
    finally:
        store.close()
    return sids


@dataclass
class Server:
    """Where a server listens, and its process (for the CPU it spends)."""

    target: tuple[str, int]
    process: psutil.Process

    def cpu(self) -> float:
        times = self.process.cpu_times()
        return times.user + times.system


def _measure(servers: list[Server], make, concurrency: int) -> tuple[Result, float]:
    """One run of ``SECONDS``: its result and the servers' CPU per request (us)."""
    before = sum(server.cpu() for server in servers)
    result = run([server.target for server in servers], make, concurrency, SECONDS)
    return result, (sum(server.cpu() for server in servers) - before) / result.count * 1e6


def _serve(stack, log: Path, args: list[str], python_script: Path | None = None) -> Server:
    port = free_port()
    if python_script is None:
        process = DataCatProcess([*args, "--port", str(port)], log)
        stack.callback(process.stop)
        pid = process.process.pid
    else:
        handle = open(log, "ab")
        child = subprocess.Popen([sys.executable, str(python_script), str(port)], stdout=handle,
                                 stderr=subprocess.STDOUT)
        stack.callback(lambda: (child.terminate(), child.wait(20), handle.close()))
        pid = child.pid
    wait_until(lambda: httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200,
               60, message=f"{log.stem} to answer /health")
    return Server(("127.0.0.1", port), psutil.Process(pid))


def _sessions(server: Server, count: int) -> list[str]:
    url = "http://{}:{}/api/sessions".format(*server.target)
    return [httpx.post(url, content=_CREATE, timeout=30).json()["session_id"] for _ in range(count)]


def main() -> int:
    report = Report("rest_writes", f"REST writes, one web process on diskcache, {ROUNDS} rounds "
                                   f"of {SECONDS:g} s per case")
    with bench_env() as (stack, tmp):
        directory = str(tmp / "store")
        big = _fill(directory, tuple(GET_TARGET_MS))
        web = ["web", "--store", f"diskcache://{directory}"]
        one = _serve(stack, tmp / "web1.log", web)
        two = _serve(stack, tmp / "web2.log", web)
        bare = _serve(stack, tmp / "bare.log", [], Path(__file__).with_name("_bare_sanic.py"))
        sids = _sessions(one, max(CONCURRENCY))
        cases = {}
        for route in ("events", "state", "metrics", "create"):
            for c in CONCURRENCY:
                cases[(route, c)] = ([one], _writer(route, sids), c)
        for c in CONCURRENCY:
            cases[("bare", c)] = ([bare], _writer("events", sids), c)
        cases[("events, 2 web processes", 16)] = ([one, two], _writer("events", sids), 16)
        for size, sid in big.items():
            payload = request("GET", f"/api/sessions/{sid}")
            cases[(f"GET {size}", 1)] = ([one], lambda i, n, p=payload: p, 1)
        samples: dict[tuple, list] = {case: [] for case in cases}
        cpu: dict[tuple, list] = {case: [] for case in cases}
        for _ in range(ROUNDS):
            for case, (servers, make, c) in cases.items():
                result, spent = _measure(servers, make, c)
                samples[case].append(result)
                cpu[case].append(spent)
        _results(report, samples, cpu)
    return report.finish()


def _results(report: Report, samples: dict[tuple, list], cpu: dict[tuple, list]) -> None:
    def rate(case):
        return [r.rate for r in samples[case]]

    def p50_us(case):
        return [r.percentile(0.5) * 1e6 for r in samples[case]]

    def p99_ms(case):
        return [r.percentile(0.99) * 1e3 for r in samples[case]]

    for case, spent in cpu.items():
        name = f"{case[0]} c={case[1]}"
        report.result(f"server CPU per request, {name}", median(spent), "us", samples=spent,
                      in_summary=False)
    for c in CONCURRENCY:
        bare = median(rate(("bare", c)))
        report.result(f"bare Sanic c={c} rate", bare, "req/s", samples=rate(("bare", c)),
                      baseline=f"p50 {median(p50_us(('bare', c))):.0f} us, "
                               f"p99 {median(p99_ms(('bare', c))):.2f} ms")
        for route in ("events", "state", "metrics", "create"):
            case = (route, c)
            original = ORIGINAL.get(case)
            goal = 0.8 * bare if original is None else min(2 * original, 0.8 * bare)
            report.result(f"POST {route} c={c} rate", median(rate(case)), "req/s",
                          at_least=goal, samples=rate(case),
                          baseline=f"p50 {median(p50_us(case)):.0f} us, p99 "
                                   f"{median(p99_ms(case)):.2f} ms; original "
                                   + (f"{original:,} req/s" if original else "not measured"))
            if c == 1:
                report.result(f"POST {route} c=1 p50", median(p50_us(case)), "us",
                              at_most=P50_TARGET_US, samples=p50_us(case))
    case = ("events, 2 web processes", 16)
    report.result("POST events c=16, 2 web processes", median(rate(case)), "req/s",
                  samples=rate(case), baseline=f"1 process: {median(rate(('events', 16))):,.0f}")
    for size, target in GET_TARGET_MS.items():
        values = [v / 1000 for v in p50_us((f"GET {size}", 1))]
        original = ORIGINAL_GET_P50_MS.get(size)
        report.result(f"GET /api/sessions/{{id}}, {size:,} events p50", median(values), "ms",
                      at_most=target, samples=values,
                      baseline=f"original {original} ms" if original else "")
    print("   raw: " + json.dumps({f"{k[0]} c={k[1]}": [round(r.rate) for r in v]
                                   for k, v in samples.items()}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
