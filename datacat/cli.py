"""The ``datacat`` command: ``up``, ``broker``, ``ingest``, ``web``, ``daemon``, ``demo``,
``status``, ``config``, ``keys``, ``tokens``.

Every setting resolves through ``datacat.config`` (flags > env > ``datacat.toml`` > defaults).
Server parts are imported inside their commands, so the SDK never pulls them in.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from .config import ConfigError, effective, resolve
from .curve import CurveError

__all__ = ["main", "build_parser"]

LOG_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"


def _flags(args: argparse.Namespace, *names: str) -> dict:
    return {name: getattr(args, name, None) for name in names}


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    return Path(base) / "datacat"


def _cmd_up(args: argparse.Namespace) -> int:
    from .supervise import Child, Supervisor, wait_http

    up = resolve("up", _flags(args, "data_dir", "workers", "broker_host", "broker_port",
                              "backend_port", "stats_port"))
    web = resolve("web", _flags(args, "store", "host", "port"))
    timeout = resolve("ingest", _flags(args, "daemon_timeout"))["daemon_timeout"]
    data_dir = Path(up["data_dir"] or _default_data_dir()).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    store = web["store"] or f"diskcache://{data_dir / 'store'}"
    frontend = f"tcp://{up['broker_host']}:{up['broker_port']}"
    backend = f"tcp://127.0.0.1:{up['backend_port'] or up['broker_port'] + 1}"
    stats = f"tcp://127.0.0.1:{up['stats_port'] or up['broker_port'] + 2}"
    me = [sys.executable, "-m", "datacat.cli"]
    children = [Child("broker", me + ["broker", "--frontend", frontend, "--backend", backend,
                                      "--stats", stats])]
    ingest = ["ingest", "--backend", backend, "--store", store, "--daemon-timeout", str(timeout)]
    children += [Child(f"ingest-{i + 1}", me + ingest) for i in range(up["workers"])]
    children.append(Child("web", me + ["web", "--store", store, "--host", web["host"],
                                       "--port", str(web["port"]), "--broker-stats", stats]))
    supervisor = Supervisor(children)
    supervisor.install_signal_handlers()
    supervisor.start()
    url = f"http://{web['host']}:{web['port']}"
    if not wait_http(f"{url}/health", 60, children[-1].alive):
        print("datacat up: the web app did not come up; stopping", file=sys.stderr)
        supervisor.stop()
        return 1
    print(f"DataCat is up (store {store})\n  dashboard  {url}/\n  REST API   {url}/api/v1/sessions"
          f"\n  broker     {frontend}   (apps: DATACAT_BROKER={frontend})"
          f"\n  status     datacat status --broker-stats {stats} --store {store}\nCtrl-C stops it.",
          flush=True)
    if args.demo:
        children.append(Child("demo", me + ["demo", "--broker", frontend], restart=False))
        children[-1].start()
    supervisor.watch()
    return 0


def _cmd_broker(args: argparse.Namespace) -> int:
    from datacat.broker.proxy import Broker, BrokerSettings

    values = resolve("broker", _flags(args, "frontend", "backend", "stats"))
    Broker(BrokerSettings(**{k: v or None for k, v in values.items()})).serve_forever()
    return 0


def _cmd_ingest(args: argparse.Namespace) -> int:
    from datacat.broker.store import open_store
    from datacat.broker.worker import IngestWorker

    values = resolve("ingest", _flags(args, "backend", "store", "daemon_timeout"))
    if not values["store"]:
        raise ConfigError("ingest.store is required (--store, $DATACAT_STORE or datacat.toml)")
    from .process import collect_rarely

    worker = IngestWorker(open_store(values["store"]), values["backend"], values["daemon_timeout"])
    collect_rarely()
    worker.install_signal_handlers()
    worker.run()
    return 0


def _cmd_web(args: argparse.Namespace) -> int:
    from datacat.web.server import serve
    from datacat.web.settings import WebSettings

    values = resolve("web", _flags(args, "store", "host", "port", "tokens_file", "broker_stats"))
    if not values["store"]:
        raise ConfigError("web.store is required (--store, $DATACAT_STORE or datacat.toml)")
    serve(WebSettings(store_url=values["store"], host=values["host"], port=values["port"],
                      tokens_file=values["tokens_file"] or None,
                      broker_stats=values["broker_stats"] or None))
    return 0


def _cmd_daemon(args: argparse.Namespace) -> int:
    from .daemon.__main__ import run_daemon

    return run_daemon(args)


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    if args.broker:
        os.environ["DATACAT_BROKER"] = args.broker
    run_demo(sessions=args.sessions, seconds=args.seconds)
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    from .control import ask
    from .runtime import runtime_paths

    paths = runtime_paths()
    report: dict = {"daemon": ask(paths.control_endpoint, {"op": "stats"}, args.timeout)
                    or f"no daemon answers in {paths.directory}"}
    if args.broker_stats:
        report["broker"] = ask(args.broker_stats, {}, args.timeout) or "no answer"
    if args.store:
        from datacat.broker.store import open_store

        store = open_store(args.store)
        report["workers"], report["daemons"] = store.workers(), store.daemons()
        store.close()
    print(json.dumps(report, indent=2, sort_keys=True, default=str))
    return 0 if isinstance(report["daemon"], dict) or len(report) > 1 else 1


def _cmd_store_copy(args: argparse.Namespace) -> int:
    from datacat.broker.store.copy import main as copy_main

    return copy_main(args.src, args.dst)


def _cmd_config(args: argparse.Namespace) -> int:
    from .config import config_path

    print(f"# config file: {config_path() or 'none'}")
    print(json.dumps(effective(), indent=2))
    return 0


def _cmd_keys(args: argparse.Namespace) -> int:
    from .curve import generate_keys

    public, secret = generate_keys(Path(args.dir), args.name)
    print(f"public key  {public}\nsecret key  {secret}   (keep it private: 0600)")
    if args.name == "broker":
        print("broker: set broker.secret_key to the secret file; give daemons the public file "
              "(daemon.broker_public_key)")
    else:
        print("daemon: set daemon.secret_key to the secret file; copy the public file into the "
              "broker's broker.allowed_keys directory")
    return 0


def _cmd_tokens(args: argparse.Namespace) -> int:
    from datacat.web.auth import create_token, list_tokens, revoke_token

    path = resolve("web", _flags(args, "tokens_file"))["tokens_file"]
    if not path:
        raise ConfigError("web.tokens_file is required (--tokens-file, $DATACAT_TOKENS_FILE or "
                          "datacat.toml)")
    if args.action == "create":
        print(create_token(path, args.name, args.scopes.split(",")))
        print(f"# token {args.name!r} created; it is shown once", file=sys.stderr)
    elif args.action == "revoke":
        revoke_token(path, args.name)
    else:
        print(json.dumps(list_tokens(path), indent=2, default=str))
    return 0


def _add_up(sub) -> None:
    up = sub.add_parser("up", help="broker + ingest workers + web on one machine")
    up.add_argument("--data-dir", help="where the embedded store lives (up.data_dir)")
    up.add_argument("--host", help="web bind address (web.host)")
    up.add_argument("--port", type=int, help="web port (web.port)")
    up.add_argument("--broker-host", help="the broker's bind address (up.broker_host)")
    up.add_argument("--broker-port", type=int, help="port daemons connect to (up.broker_port)")
    up.add_argument("--backend-port", type=int, help="port workers connect to (default broker+1)")
    up.add_argument("--stats-port", type=int, help="the broker's counters (default broker+2)")
    up.add_argument("--workers", type=int, help="ingest worker processes (up.workers)")
    up.add_argument("--store", help="store URL (default diskcache://DATA_DIR/store)")
    up.add_argument("--daemon-timeout", type=float, help="ingest.daemon_timeout")
    up.add_argument("--demo", action="store_true", help="also feed simulated sessions")
    up.set_defaults(func=_cmd_up)


def _add_parts(sub) -> None:
    from .daemon.__main__ import add_arguments as add_daemon_arguments

    broker = sub.add_parser("broker", help="the proxy between daemons and workers")
    broker.add_argument("--frontend", help="where daemons connect (broker.frontend)")
    broker.add_argument("--backend", help="where workers connect (broker.backend)")
    broker.add_argument("--stats", help="endpoint answering with the proxy's counters")
    broker.set_defaults(func=_cmd_broker)

    ingest = sub.add_parser("ingest", help="an ingest worker")
    ingest.add_argument("--backend", help="the broker's backend (ingest.backend)")
    ingest.add_argument("--store", help="memory:// or diskcache:///abs/path (ingest.store)")
    ingest.add_argument("--daemon-timeout", type=float, help="ingest.daemon_timeout")
    ingest.set_defaults(func=_cmd_ingest)

    web = sub.add_parser("web", help="REST API and dashboard")
    web.add_argument("--store", help="store URL (web.store)")
    web.add_argument("--host", help="bind address (web.host)")
    web.add_argument("--port", type=int, help="port (web.port)")
    web.add_argument("--tokens-file", help="API tokens (web.tokens_file)")
    web.add_argument("--broker-stats", help="the broker's counters (web.broker_stats)")
    web.set_defaults(func=_cmd_web)

    daemon = sub.add_parser("daemon", help="the per-user local daemon")
    add_daemon_arguments(daemon)
    daemon.set_defaults(func=_cmd_daemon)


def _add_tools(sub) -> None:
    demo = sub.add_parser("demo", help="simulated apps feeding sessions")
    demo.add_argument("--broker", default=None)
    demo.add_argument("--sessions", type=int, default=6)
    demo.add_argument("--seconds", type=float, default=20.0)
    demo.set_defaults(func=_cmd_demo)

    status = sub.add_parser("status", help="counters: the local daemon, the broker, the workers")
    status.add_argument("--timeout", type=float, default=2.0)
    status.add_argument("--broker-stats", default=None,
                        help="the broker's --stats endpoint (datacat up: broker port + 2)")
    status.add_argument("--store", default=None,
                        help="store URL: adds every worker's and daemon's last report")
    status.set_defaults(func=_cmd_status)

    config = sub.add_parser("config", help="print the effective configuration, secrets masked")
    config.set_defaults(func=_cmd_config)

    keys = sub.add_parser("keys", help="make a CURVE key pair for the broker or a daemon")
    keys.add_argument("name", help="'broker', or a name for a daemon (e.g. its host)")
    keys.add_argument("--dir", default=".", help="where to write NAME.key and NAME.key_secret")
    keys.set_defaults(func=_cmd_keys)

    tokens = sub.add_parser("tokens", help="REST API tokens: create, list, revoke")
    tokens.add_argument("action", choices=("create", "list", "revoke"))
    tokens.add_argument("name", nargs="?", default="")
    tokens.add_argument("--scopes", default="read", help="comma-separated: read,write,admin")
    tokens.add_argument("--tokens-file", help="web.tokens_file")
    tokens.set_defaults(func=_cmd_tokens)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="datacat", description="DataCat session telemetry")
    parser.add_argument("--config", help="a datacat.toml (default $DATACAT_CONFIG or "
                                         "~/.config/datacat/datacat.toml)")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_up(sub)
    _add_parts(sub)
    _add_tools(sub)
    store_copy = sub.add_parser("store", help="store tools").add_subparsers(
        dest="action", required=True).add_parser(
        "copy", help="copy every session of one store into another (safe to run again)")
    store_copy.add_argument("src", help="source store URL")
    store_copy.add_argument("dst", help="destination store URL")
    store_copy.set_defaults(func=_cmd_store_copy)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    args = build_parser().parse_args(argv)
    if args.config:
        os.environ["DATACAT_CONFIG"] = str(Path(args.config).resolve())  # children inherit it
    try:
        return args.func(args) or 0
    except KeyboardInterrupt:
        return 130
    except (ConfigError, CurveError, ValueError) as exc:  # configuration errors name the key
        print(f"datacat {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
