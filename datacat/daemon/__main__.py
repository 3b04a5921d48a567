"""``python -m datacat.daemon [--broker EP] [--flush-interval S] [--detach]``."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys

from ..runtime import broker_endpoints, env_float, runtime_paths, spool_directory
from .delivery import SpoolSettings
from .server import AlreadyRunning, Daemon, DaemonSettings

__all__ = ["main", "add_arguments", "run_daemon"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--broker", default=None,
                        help="broker endpoint(s), comma-separated (default $DATACAT_BROKER "
                             "or tcp://127.0.0.1:5555)")
    parser.add_argument("--flush-interval", type=float, default=None,
                        help="seconds between batches (default $DATACAT_FLUSH_INTERVAL or 1)")
    parser.add_argument("--detach", action="store_true",
                        help="fork into the background (what the SDK's auto-start uses)")


def _detach() -> None:
    """Classic double fork: the caller's child exits at once, the daemon has no parent."""
    if os.fork() > 0:
        os._exit(0)
    os.setsid()
    if os.fork() > 0:
        os._exit(0)


def run_daemon(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        paths = runtime_paths().ensure()
        settings = DaemonSettings(
            paths=paths,
            brokers=broker_endpoints(args.broker),
            spool=SpoolSettings(
                directory=spool_directory(paths),
                max_bytes=int(env_float("DATACAT_SPOOL_MAX_BYTES", 256 * 1024 * 1024)),
                group_commit=env_float("DATACAT_GROUP_COMMIT", 0.1),
                sync=os.environ.get("DATACAT_SPOOL_SYNC", "1") != "0",
            ),
            flush_interval=args.flush_interval or env_float("DATACAT_FLUSH_INTERVAL", 1.0),
            beat_interval=env_float("DATACAT_DAEMON_BEAT", 5.0),
        )
    except ValueError as exc:
        print(f"datacat daemon: {exc}", file=sys.stderr)
        return 2
    if args.detach:
        _detach()
    # The daemon makes millions of short-lived, acyclic lists and maps: collect them rarely.
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    try:
        daemon = Daemon(settings)
    except AlreadyRunning as exc:
        logging.getLogger("datacat.daemon").info("%s; exiting", exc)
        return 0
    daemon.install_signal_handlers()
    daemon.run()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="datacat daemon", description=__doc__)
    add_arguments(parser)
    return run_daemon(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
