"""``make bench``: run every benchmark in turn, each in its own process, then one table.

Exits 0 when every script ran (targets missed included: they are reported, not failed);
1 if a script crashed or ran out of time.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from _util import SUMMARY_MARK, fmt

HERE = Path(__file__).resolve().parent
SCRIPTS = ("client_call.py", "daemon_reduction.py", "end_to_end.py", "ingest.py", "ingest_redis.py",
           "worker_scaling.py", "append_cost.py", "delivery.py", "dashboard_pages.py",
           "dashboard_pages.py --redis", "slices.py", "rest_writes.py",
           "pytest_plugin.py")
TIMEOUT = 150.0  # seconds per script


def stop(process: subprocess.Popen) -> None:
    """SIGTERM (the script then stops what it started), SIGKILL if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run(script: str) -> tuple[list[dict], str | None]:
    """Stream one script's output; its summary rows and what went wrong, if anything."""
    rows: list[dict] = []
    start = time.monotonic()
    name, *args = script.split()
    process = subprocess.Popen([sys.executable, str(HERE / name), *args], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, bufsize=1)
    expired = threading.Event()
    watchdog = threading.Timer(TIMEOUT, lambda: (expired.set(), stop(process)))
    watchdog.start()
    try:
        for line in process.stdout:
            if line.startswith(SUMMARY_MARK):
                rows = json.loads(line[len(SUMMARY_MARK):])
            else:
                print(line, end="", flush=True)
        process.wait()
    finally:
        watchdog.cancel()
        stop(process)
    print(f"   ({script}: {time.monotonic() - start:.1f} s)", flush=True)
    if expired.is_set():
        return rows, f"timed out after {TIMEOUT:.0f} s"
    return rows, None if process.returncode == 0 else f"exit status {process.returncode}"


def table(rows: list[dict]) -> str:
    head = ("bench", "metric", "median", "unit", "target", "met", "same-run baseline")
    body = [(row["bench"], row["metric"], fmt(row["value"]), row["unit"], row["target"],
             {True: "yes", False: "NO", None: "-"}[row["met"]], row["baseline"]) for row in rows]
    widths = [max(len(str(line[i])) for line in [head, *body]) for i in range(len(head) - 1)]
    lines = []
    for line in [head, *body]:
        cells = [str(cell).ljust(width) if i != 2 else str(cell).rjust(width)
                 for i, (cell, width) in enumerate(zip(line, widths))]
        lines.append("  ".join(cells) + "  " + line[-1])
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    rows: list[dict] = []
    failures = []
    for script in SCRIPTS:
        script_rows, problem = run(script)
        rows += script_rows
        if problem:
            failures.append(f"{script}: {problem}")
        print(flush=True)
    print(f"== summary ({time.monotonic() - started:.0f} s, medians)")
    print(table(rows))
    missed = [f"{row['bench']}: {row['metric']}" for row in rows if row["met"] is False]
    print(f"\ntargets met: {sum(row['met'] is True for row in rows)} of "
          f"{sum(row['met'] is not None for row in rows)}"
          + (f"; missed: {'; '.join(missed)}" if missed else ""))
    for failure in failures:
        print(f"FAILED {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
