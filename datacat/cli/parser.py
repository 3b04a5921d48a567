"""The ``datacat`` argument parser. Flags are read as text: ``datacat.config`` types and checks
them, so a flag, a variable and a file entry get the same one-line message."""

from __future__ import annotations

import argparse
import sys

__all__ = ["build_parser"]


class _Parser(argparse.ArgumentParser):
    """Usage mistakes as one line and exit status 2 (``datacat -h`` shows the usage)."""

    def error(self, message: str):
        print(f"{self.prog}: {message} (see {self.prog} -h)", file=sys.stderr)
        sys.exit(2)


def _texts(parser: argparse.ArgumentParser, *flags: tuple[str, str]) -> None:
    """Text-valued flags, ``(name, help)``; ``datacat.config`` types and checks them."""
    for name, text in flags:
        parser.add_argument(name, help=text)


def _add_up(sub) -> None:
    from .stack import cmd_up

    up = sub.add_parser("up", help="broker + ingest workers + web on one machine")
    _texts(up, ("--data-dir", "where the embedded store and spool live (up.data_dir)"),
           ("--host", "web bind address (web.host)"), ("--port", "web port (web.port)"),
           ("--broker-host", "the broker's bind address (up.broker_host)"),
           ("--broker-port", "port daemons connect to (up.broker_port)"),
           ("--backend-port", "port workers connect to (default broker+1)"),
           ("--stats-port", "the broker's counters (default broker+2)"),
           ("--workers", "ingest worker processes (up.workers)"),
           ("--store", "store URL (default diskcache://DATA_DIR/store)"),
           ("--daemon-timeout", "ingest.daemon_timeout"))
    up.add_argument("--demo", action="store_true",
                    help="also feed simulated sessions, through a daemon of this stack's own")
    up.set_defaults(func=cmd_up)


def _add_parts(sub) -> None:
    from .daemon import add_daemon
    from .parts import cmd_broker, cmd_ingest, cmd_web

    broker = sub.add_parser("broker", help="the proxy between daemons and workers")
    _texts(broker, ("--frontend", "where daemons connect (broker.frontend)"),
           ("--backend", "where workers connect (broker.backend)"),
           ("--stats", "endpoint answering with the proxy's counters (broker.stats)"))
    broker.set_defaults(func=cmd_broker)

    ingest = sub.add_parser("ingest", help="an ingest worker")
    _texts(ingest, ("--backend", "the broker's backend (ingest.backend)"),
           ("--store", "memory:// or diskcache:///abs/path (ingest.store)"),
           ("--daemon-timeout", "ingest.daemon_timeout"))
    ingest.set_defaults(func=cmd_ingest)

    web = sub.add_parser("web", help="REST API and dashboard")
    _texts(web, ("--store", "store URL (web.store)"), ("--host", "bind address (web.host)"),
           ("--port", "port (web.port)"), ("--tokens-file", "API tokens (web.tokens_file)"),
           ("--broker-stats", "the broker's counters (web.broker_stats)"),
           ("--read-timeout", "seconds a store read may take before a 503 (web.read_timeout)"))
    web.set_defaults(func=cmd_web)

    add_daemon(sub)


def _add_tools(sub) -> None:
    from .tools import cmd_config, cmd_demo, cmd_keys, cmd_status, cmd_store_copy, cmd_tokens

    demo = sub.add_parser("demo", help="simulated apps feeding sessions")
    demo.add_argument("--broker", default=None, help="where the sessions go (daemon.broker)")
    demo.add_argument("--sessions", type=_count, default=6)
    demo.add_argument("--seconds", type=_seconds, default=20.0)
    demo.add_argument("--dashboard", default=None,
                      help="the dashboard URL to print (default from web.host and web.port)")
    demo.set_defaults(func=cmd_demo)

    status = sub.add_parser("status", help="counters: the local daemon, the broker, the workers")
    status.add_argument("--timeout", type=_seconds, default=2.0)
    status.add_argument("--broker-stats", default=None,
                        help="the broker's --stats endpoint (datacat up: broker port + 2)")
    status.add_argument("--store", default=None,
                        help="store URL: adds every worker's and daemon's last report")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(func=cmd_status)

    config = sub.add_parser("config", help="print the effective configuration, secrets masked")
    config.add_argument("--json", action="store_true", help="machine-readable output")
    config.set_defaults(func=cmd_config)

    keys = sub.add_parser("keys", help="make a CURVE key pair for the broker or a daemon")
    keys.add_argument("name", help="'broker', or a plain name for a daemon (e.g. its host)")
    keys.add_argument("--dir", default=".", help="where to write NAME.key and NAME.key_secret")
    keys.add_argument("--force", action="store_true", help="replace an existing key pair")
    keys.set_defaults(func=cmd_keys)

    tokens = sub.add_parser("tokens", help="REST API tokens: create, list, revoke")
    tokens.add_argument("action", choices=("create", "list", "revoke"))
    tokens.add_argument("name", nargs="?", default="")
    tokens.add_argument("--scopes", default="read", help="comma-separated: read,write,admin")
    tokens.add_argument("--tokens-file", help="web.tokens_file")
    tokens.add_argument("--json", action="store_true", help="machine-readable output (list)")
    tokens.set_defaults(func=cmd_tokens)

    store = sub.add_parser("store", help="store tools").add_subparsers(dest="action", required=True)
    copy = store.add_parser("copy", help="copy every session of one store into another "
                                         "(safe to run again), then compare counts")
    copy.add_argument("src", help="source store URL")
    copy.add_argument("dst", help="destination store URL")
    copy.set_defaults(func=cmd_store_copy)


def _count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds more than 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="datacat", description="DataCat session telemetry")
    parser.add_argument("--config", help="a datacat.toml (default $DATACAT_CONFIG or "
                                         "~/.config/datacat/datacat.toml)")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_up(sub)
    _add_parts(sub)
    _add_tools(sub)
    return parser
