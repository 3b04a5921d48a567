"""``python -m datacat.daemon [--broker EP] [--flush-interval S] [--detach]``."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from ..config import ConfigError, resolve
from ..curve import CurveError, CurveKeys, load_keys, load_public_key
from ..process import collect_rarely
from ..runtime import runtime_paths, spool_directory
from .delivery import SpoolSettings
from .server import AlreadyRunning, Daemon, DaemonSettings

__all__ = ["main", "add_arguments", "run_daemon", "daemon_settings"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--broker", default=None,
                        help="broker endpoint(s), comma-separated (daemon.broker)")
    parser.add_argument("--flush-interval", type=float, default=None,
                        help="seconds between batches (daemon.flush_interval)")
    parser.add_argument("--detach", action="store_true",
                        help="fork into the background (what the SDK's auto-start uses)")


def daemon_settings(flags: dict) -> DaemonSettings:
    """Typed daemon settings from flags, env and the config file."""
    values = resolve("daemon", flags)
    paths = runtime_paths().ensure()
    curve = None
    if values["broker_public_key"]:
        if not values["secret_key"]:
            raise ConfigError("daemon.secret_key is required with daemon.broker_public_key "
                              "(make one with `datacat keys`)")
        curve = CurveKeys(load_public_key(values["broker_public_key"]),
                          *load_keys(values["secret_key"]))
    spool_dir = Path(values["spool_dir"]) if values["spool_dir"] else spool_directory(paths)
    return DaemonSettings(
        paths=paths,
        brokers=[part.strip() for part in values["broker"].split(",") if part.strip()],
        spool=SpoolSettings(directory=spool_dir, max_bytes=values["spool_max_bytes"],
                            group_commit=values["group_commit"], sync=values["spool_sync"]),
        flush_interval=values["flush_interval"] or 1.0,
        beat_interval=values["beat_interval"] or 5.0,
        curve=curve,
    )


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
        settings = daemon_settings({"broker": args.broker, "flush_interval": args.flush_interval})
    except (ConfigError, CurveError) as exc:
        print(f"datacat daemon: {exc}", file=sys.stderr)
        return 2
    if args.detach:
        _detach()
    os.umask(0o077)  # journal, spool, registry and log: the user's alone
    collect_rarely()
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
