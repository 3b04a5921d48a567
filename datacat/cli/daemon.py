"""``datacat daemon [run|status|stop|restart]``: the per-user daemon, run or looked after."""

from __future__ import annotations

import argparse
import os
import signal
import time

from ..autostart import daemon_running, ensure_daemon
from ..control import ask
from ..runtime import RuntimePaths, runtime_paths
from . import show
from .errors import Refused

__all__ = ["add_daemon", "daemon_status", "stop_daemon"]


def add_daemon(sub) -> None:
    from ..daemon.__main__ import add_arguments

    daemon = sub.add_parser("daemon", help="the per-user daemon: run it, or show, stop, restart it")
    daemon.add_argument("action", nargs="?", default="run",
                        choices=("run", "status", "stop", "restart"))
    add_arguments(daemon)
    daemon.add_argument("--json", action="store_true", help="machine-readable status")
    daemon.set_defaults(func=_cmd_daemon)


def daemon_status(paths: RuntimePaths, timeout: float = 2.0) -> dict | None:
    """The running daemon's answer to ``status``, or ``None`` if none answers."""
    reply = ask(paths.control_endpoint, {"op": "status"}, timeout)
    return reply if reply and "pid" in reply else None


def stop_daemon(paths: RuntimePaths, timeout: float = 30.0) -> int | None:
    """Ask the daemon to stop (it drains first) and wait until it has; its pid, or ``None``."""
    reply = ask(paths.control_endpoint, {"op": "stop"}, 2.0)
    if reply is None and not daemon_running(paths):
        return None
    pid = (reply or {}).get("stopping")
    if pid is None:  # a daemon that does not know "stop": SIGTERM, as its pid file says
        pid = int(paths.pid_file.read_text())
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while daemon_running(paths):
        if time.monotonic() > deadline:
            raise Refused(f"the daemon (pid {pid}) did not stop in {timeout:.0f} s")
        time.sleep(0.1)  # pacing: polling the daemon's lock until it lets go
    return pid


def _show(status: dict) -> str:
    lines = show.fields([
        ("pid", status["pid"]), ("brokers", ", ".join(status["brokers"])),
        ("runtime dir", status["runtime_dir"]),
        ("spool", f"{status['spool_dir']} ({show.size(status['spool_bytes'])})"),
        ("batches", f"{status['queued']} queued, {status['unacked']} sent and not yet acked"),
        ("watching", f"{len(status['watched'])} sessions"),
    ])
    rows = [[w["sid"], w["pid"]] for w in status["watched"]]
    return lines + ("\n\n" + show.table(["session", "pid"], rows) if rows else "")


def _cmd_daemon(args: argparse.Namespace) -> int:
    if args.action == "run":
        from ..daemon.__main__ import run_daemon

        return run_daemon(args)
    paths = runtime_paths()
    if args.action == "status":
        status = daemon_status(paths)
        if status is None:
            print(f"a daemon runs in {paths.directory} but does not answer; `datacat daemon "
                  "restart` replaces it" if daemon_running(paths)
                  else f"no daemon runs in {paths.directory}")
            return 1
        print(show.as_json(status) if args.json else _show(status))
        return 0
    pid = stop_daemon(paths)
    if args.action == "stop":
        print(f"stopped the daemon (pid {pid})" if pid else f"no daemon runs in {paths.directory}")
        return 0
    if args.broker:
        os.environ["DATACAT_BROKER"] = args.broker
    ensure_daemon(paths)
    status = daemon_status(paths, timeout=10.0)
    if status is None:
        raise Refused(f"the daemon did not start; see {paths.log_file}")
    print(f"started the daemon (pid {status['pid']}) sending to {', '.join(status['brokers'])}")
    return 0
