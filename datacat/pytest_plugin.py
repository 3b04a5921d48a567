"""pytest plugin: a test run is a DataCat session (``pytest --datacat`` or ``DATACAT_PYTEST=1``).

Registered through the ``pytest11`` entry point and off by default: without the switch it only
adds its options. Switched on, the run opens one session; each test becomes one ``test``
event and one ``test_duration`` sample, and the state keeps the counts per outcome and the
test that is running. A run that dies is reported ``crashed`` by the daemon, one stuck in a
test longer than ``--datacat-hang-timeout`` is ``hung`` (with every thread's stack), and each
pytest-xdist worker is a child session of the controller's. Nothing here changes an outcome.
"""

from __future__ import annotations

import logging
import os
import subprocess
import time
from pathlib import Path

import pytest

from .rig_outcomes import OUTCOMES, TestResult, summarise

__all__ = ["ENABLE_ENV", "RunRecorder", "git_version", "parse_tags"]

log = logging.getLogger("datacat.pytest")

ENABLE_ENV = "DATACAT_PYTEST"
DURATION_BUCKETS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 60.0, 300.0)
FIRST_WAIT = 5.0  # seconds the first test start waits for the daemon (it may be starting)
DURABLE_WAIT = 1.0  # seconds a later test start waits for the daemon to hold ``current_test``
RETRY_AFTER = 30.0  # seconds without waiting once the daemon did not answer in time


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("datacat", "DataCat session telemetry for this run")
    group.addoption("--datacat", action="store_true", default=False,
                    help=f"record this run as a DataCat session (or set {ENABLE_ENV}=1)")
    group.addoption("--datacat-product", default=None,
                    help="product name of the session (default: the rootdir's name)")
    group.addoption("--datacat-version", default=None,
                    help="version of the session (default: `git describe` of the rootdir)")
    group.addoption("--datacat-tag", action="append", default=[], metavar="KEY=VALUE",
                    help="a tag of the session; repeat for more")
    group.addoption("--datacat-hang-timeout", type=float, default=300.0, metavar="SECONDS",
                    help="a test running longer than this marks the run hung (default 300)")


def enabled(config: pytest.Config) -> bool:
    return bool(config.getoption("datacat")) or os.environ.get(ENABLE_ENV) == "1"


def pytest_configure(config: pytest.Config) -> None:
    if not enabled(config):
        return
    tags = parse_tags(config.getoption("datacat_tag"))
    timeout = config.getoption("datacat_hang_timeout")
    if not timeout > 0:
        raise pytest.UsageError(f"--datacat-hang-timeout must be positive, not {timeout}")
    worker = getattr(config, "workerinput", None)
    if worker is not None and "datacat" in worker:  # an xdist worker: the controller's identity
        product, version = worker["datacat"]["product"], worker["datacat"]["version"]
        tags = {**worker["datacat"]["tags"], "xdist_worker": worker.get("workerid", "?")}
    else:
        rootdir = Path(config.rootpath)
        product = config.getoption("datacat_product") or rootdir.name
        version = config.getoption("datacat_version") or git_version(rootdir) or "unknown"
    config.pluginmanager.register(RunRecorder(config, product, version, tags, timeout),
                                  "datacat-recorder")


def parse_tags(pairs: list[str]) -> dict:
    """``["k=v", ...]`` as a dict; a pair without ``=`` is a usage error."""
    tags = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise pytest.UsageError(f"--datacat-tag wants KEY=VALUE, not {pair!r}")
        tags[key] = value
    return tags


def git_version(rootdir: Path) -> str | None:
    """``git describe --tags --always --dirty`` of ``rootdir``, or ``None`` outside a repository."""
    try:
        result = subprocess.run(["git", "-C", str(rootdir), "describe", "--tags", "--always", "--dirty"],
                                capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return (result.stdout.strip() or None) if result.returncode == 0 else None


class RunRecorder:
    """The run's session and what each test adds to it.

    An xdist controller runs no test itself: it keeps only the counts of every worker's
    tests, while each worker records its own tests in its own (child) session.
    """

    def __init__(self, config: pytest.Config, product: str, version: str, tags: dict,
                 hang_timeout: float):
        import datacat

        self.identity = {"product": product, "version": version, "tags": tags}
        self.session = datacat.create_session(product, version, hang_timeout=hang_timeout,
                                              tags=tags or None, watchdog=True)
        self.counts = dict.fromkeys(OUTCOMES, 0)
        self.session.update_state({"counts": dict(self.counts)})
        self._config = config
        self._reports: dict[str, list] = {}
        self._reachable: bool | None = None  # did the daemon answer the last wait (None: not asked)
        self._wait_again = 0.0  # monotonic time before which test starts do not wait
        self._controller = False

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node) -> None:
        """xdist: workers open child sessions of this one, for the same product and version."""
        node.workerinput["datacat"] = self.identity

    def pytest_sessionstart(self) -> None:
        self._controller = self._config.pluginmanager.has_plugin("dsession")
        if self._controller:
            self.session.update_state({"xdist": "controller"})

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.session.update_state({"collected": len(session.items)})

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        if self._controller:
            return
        self.session.update_state({"current_test": nodeid})
        self._make_durable()
        self.session.heartbeat()  # after the wait, which is not the test's time

    def _make_durable(self) -> None:
        """Wait until the daemon holds what is queued, so that a run dying now names its test."""
        now = time.monotonic()
        if now < self._wait_again:
            return
        self._reachable = self.session.flush(FIRST_WAIT if self._reachable is None else DURABLE_WAIT)
        if not self._reachable:
            self._wait_again = now + RETRY_AFTER

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._reports.setdefault(report.nodeid, []).append(report)
        if report.when not in ("setup", "call", "teardown"):  # xdist's report of a dead worker
            self.pytest_runtest_logfinish(report.nodeid)

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        try:
            result = summarise(nodeid, self._reports.pop(nodeid, []))
        except Exception:  # noqa: BLE001 - a report we cannot read must not stop the run
            log.debug("datacat: cannot summarise %s", nodeid, exc_info=True)
            return
        self.counts[result.outcome] += 1
        self.session.update_state({"counts": {result.outcome: self.counts[result.outcome]},
                                   "current_test": None})  # None deletes the key
        if not self._controller:
            self._record(result)
            self.session.heartbeat()

    def _record(self, result: TestResult) -> None:
        self.session.log_event("test", result.data(), level=result.level, category="pytest",
                               message=result.message, exception=result.exception)
        self.session.log_histogram("test_duration", result.duration, unit="s",
                                   tags={"file": result.file}, buckets=DURATION_BUCKETS)

    def pytest_enter_pdb(self) -> None:
        self.session.pause_hang_detection()

    def pytest_leave_pdb(self) -> None:
        self.session.resume_hang_detection()

    def pytest_sessionfinish(self, exitstatus: int) -> None:
        self.session.update_state({"exitstatus": int(exitstatus), "current_test": None})

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self) -> None:
        self.session.end(timeout=0.0 if self._reachable is False else 2.0)
