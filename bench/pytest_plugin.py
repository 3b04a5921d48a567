"""The pytest plugin's cost per test: the same suite with and without ``--datacat``.

A generated suite of ``TESTS`` trivial tests in ``FILES`` files runs in a real pytest process,
``REPEATS`` times each way, interleaved, against a real daemon (its broker address has nothing
listening, which does not matter to the client side). Two figures per run: pytest's own
session time (the "in N s" of its summary: collection and tests, no interpreter start-up) and
the wall time of the whole process. Overhead per test = difference of the medians / ``TESTS``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

from _util import Report, bench_env, free_port, median, start_daemon

TESTS = 400
FILES = 4
REPEATS = 7
TEST_FILE = """
import pytest

@pytest.mark.parametrize("n", range({count}))
def test_trivial(n):
    assert n >= 0
"""
SESSION_TIME = re.compile(r" in ([0-9.]+)s")


def run(project, env: dict, *args: str) -> tuple[float, float]:
    """(pytest's session seconds, wall seconds) of one run."""
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                            cwd=project, env=env, capture_output=True, text=True, timeout=300)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(result.stdout[-2000:] + result.stderr[-2000:])
    return float(SESSION_TIME.findall(result.stdout)[-1]), wall


def main() -> int:
    report = Report("pytest_plugin", f"{TESTS} trivial tests with and without --datacat")
    with bench_env() as (stack, tmp):
        _, paths = start_daemon(stack, tmp, "daemon", f"tcp://127.0.0.1:{free_port()}")
        project = tmp / "suite"
        project.mkdir()
        for index in range(FILES):
            (project / f"test_{index}.py").write_text(TEST_FILE.format(count=TESTS // FILES))
        env = {**os.environ, "DATACAT_RUNTIME_DIR": str(paths.directory)}
        env.pop("DATACAT_PYTEST", None)
        runs = {"off": [], "on": []}
        for _ in range(REPEATS):
            runs["off"].append(run(project, env))
            runs["on"].append(run(project, env, "--datacat"))
        for index, what in ((0, "session"), (1, "wall")):
            off = [sample[index] for sample in runs["off"]]
            on = [sample[index] for sample in runs["on"]]
            report.result(f"{what} time, plugin off", median(off) * 1e3, "ms", samples=off,
                          in_summary=False)
            report.result(f"{what} time, --datacat", median(on) * 1e3, "ms", samples=on,
                          in_summary=False)
            report.result(f"overhead per test ({what} time)",
                          (median(on) - median(off)) / TESTS * 1e6, "us",
                          baseline=f"the same {TESTS} tests without --datacat")
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
