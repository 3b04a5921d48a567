"""Sliced release health and issues with 40,000 stored sessions, against the unsliced answers.

The store is built directly with ``apply`` on a tmp ``DiskStore`` (40 batches of 1,000
sessions, 3 products x 2 versions, 3,000 machines; every session tagged ``env`` qa or prod
and with a ``level`` 0-4 in its state; ~10% log one of 200 exceptions; ~5% crash). A real
``datacat web`` then answers each URL ``REPEATS`` times, in rounds; the figure is the
median time the client waited. A slice over every product examines the cap (20,000
sessions, ``sampled``); one version's slice walks that version's ~6,700 sessions.
"""

from __future__ import annotations

import random
import sys
import time

import httpx
from _util import Report, bench_env, fill_store, interleave, median, serve_web

from datacat.protocol import Kind

SESSIONS = 40_000
REPEATS = 5
ISSUES = 200
PRODUCTS = [(p, v) for p in ("Orbit", "Forge", "QA-Rig") for v in ("1.0", "1.1")]
#: name -> (sliced URL, the unsliced URL it is read against)
CASES = {
    "products, tag (every product: capped)": ("/api/v1/products?tag=env:qa", "/api/v1/products"),
    "products, state value (capped)": ("/api/v1/products?state=level=3", "/api/v1/products"),
    "products, one version by machine": (
        "/api/v1/products?product=Orbit&version=1.1&machine=machine-7",
        "/api/v1/products?product=Orbit&version=1.1"),
    "issues, one version by tag": ("/api/v1/issues?product=Orbit&version=1.1&tag=env:qa",
                                   "/api/v1/issues?product=Orbit&version=1.1"),
    "issues page, tag (capped)": ("/issues?tag=env:qa", "/issues"),
    "compare page, tag": ("/compare?product=Orbit&a=1.0&b=1.1&tag=env:qa",
                          "/compare?product=Orbit&a=1.0&b=1.1"),
}


def _part(rng: random.Random, n: int, now: float) -> dict:
    t0 = now - 30 * 86400 * (1 - n / SESSIONS)
    product, version = PRODUCTS[rng.randrange(len(PRODUCTS))]
    part = {"open": {"product": product, "version": version, "ts": t0,
                     "machine_id": f"machine-{n % 3000}",
                     "tags": {"env": "qa" if n % 2 else "prod"}},
            "state": [[t0 + 1, {"level": n % 5}]]}
    if rng.random() < 0.1:
        kind = rng.randrange(ISSUES)
        part["events"] = [{"ts": t0 + 2, "name": "exception", "level": "error",
                           "exception": {"type": f"Error{kind}", "message": "failed",
                                         "frames": [["/app/work.py", f"step{kind}", 9, True]]}}]
    end = Kind.CRASH if rng.random() < 0.05 else Kind.END
    part["lifecycle"] = [[int(end), t0 + rng.uniform(10, 3600), {"reason": "end"}]]
    return part


def main() -> int:
    report = Report("slices", f"sliced figures against unsliced, {SESSIONS:,} sessions")
    with bench_env() as (stack, tmp):
        directory = str(tmp / "store")
        store_url = f"diskcache://{directory}"
        report.note(f"built the store in {fill_store(store_url, SESSIONS, _part, 11):.1f} s")
        url, _ = serve_web(stack, tmp, store_url)
        with httpx.Client(base_url=url, timeout=120) as client:
            def case(path: str):
                def run() -> float:
                    started = time.perf_counter()
                    client.get(path).raise_for_status()
                    return (time.perf_counter() - started) * 1000
                return run

            paths = {f"{name} {which}": case(path) for name, pair in CASES.items()
                     for which, path in zip(("sliced", "whole"), pair)}
            times = interleave(paths, REPEATS)
            examined = client.get(CASES["products, tag (every product: capped)"][0]).json()
        report.note(f"a slice over every product examined {examined['examined']:,} sessions "
                    f"(sampled: {examined['sampled']})")
        for name in CASES:
            sliced, whole = times[f"{name} sliced"], times[f"{name} whole"]
            report.result(name, median(sliced), "ms", samples=sliced,
                          baseline=f"unsliced {median(whole):.1f} ms")
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
