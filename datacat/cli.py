"""The ``datacat`` command: ``up``, ``broker``, ``ingest``, ``web``, ``daemon``, ``demo``, ``status``.

Server parts are imported inside their commands, so the SDK never pulls them in.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

__all__ = ["main"]

LOG_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"


def _default_data_dir() -> str:
    base = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    return str(Path(base) / "datacat")


def _cmd_up(args: argparse.Namespace) -> int:
    from .supervise import Child, Supervisor, wait_http

    data_dir = Path(args.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    store = args.store or f"diskcache://{data_dir / 'store'}"
    frontend = f"tcp://{args.broker_host}:{args.broker_port}"
    backend = f"tcp://127.0.0.1:{args.backend_port or args.broker_port + 1}"
    me = [sys.executable, "-m", "datacat.cli"]
    stats = f"tcp://127.0.0.1:{args.stats_port or args.broker_port + 2}"
    children = [Child("broker", me + ["broker", "--frontend", frontend, "--backend", backend,
                                      "--stats", stats])]
    ingest = ["ingest", "--backend", backend, "--store", store,
              "--daemon-timeout", str(args.daemon_timeout)]
    children += [Child(f"ingest-{i + 1}", me + ingest) for i in range(args.workers)]
    children.append(Child("web", me + ["web", "--store", store, "--host", args.host,
                                       "--port", str(args.port)]))
    supervisor = Supervisor(children)
    supervisor.install_signal_handlers()
    supervisor.start()
    url = f"http://{args.host}:{args.port}"
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
    from datacat.broker.proxy import Broker

    Broker(args.frontend, args.backend, args.stats).serve_forever()
    return 0


def _cmd_ingest(args: argparse.Namespace) -> int:
    from datacat.broker.store import open_store
    from datacat.broker.worker import IngestWorker

    worker = IngestWorker(open_store(args.store), args.backend, args.daemon_timeout)
    worker.install_signal_handlers()
    worker.run()
    return 0


def _cmd_web(args: argparse.Namespace) -> int:
    from datacat.web.server import serve
    from datacat.web.settings import WebSettings

    serve(WebSettings(store_url=args.store, host=args.host, port=args.port))
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


def _add_daemon_timeout(parser: argparse.ArgumentParser) -> None:
    from .runtime import env_float

    parser.add_argument("--daemon-timeout", type=float,
                        default=env_float("DATACAT_DAEMON_TIMEOUT", 60.0),
                        help="seconds of silence after which a daemon's sessions are lost "
                             "(default $DATACAT_DAEMON_TIMEOUT or 60)")


def build_parser() -> argparse.ArgumentParser:
    from .daemon.__main__ import add_arguments as add_daemon_arguments

    parser = argparse.ArgumentParser(prog="datacat", description="DataCat session telemetry")
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="broker + ingest workers + web on one machine")
    up.add_argument("--data-dir", default=_default_data_dir())
    up.add_argument("--host", default="127.0.0.1", help="web bind address")
    up.add_argument("--port", type=int, default=8080, help="web port")
    up.add_argument("--broker-host", default="127.0.0.1")
    up.add_argument("--broker-port", type=int, default=5555, help="port daemons connect to")
    up.add_argument("--backend-port", type=int, default=None,
                    help="port workers connect to (default broker port + 1)")
    up.add_argument("--stats-port", type=int, default=None,
                    help="port of the broker's counters (default broker port + 2)")
    up.add_argument("--workers", type=int, default=2)
    up.add_argument("--store", default=None, help="store URL (default diskcache://DATA_DIR/store)")
    up.add_argument("--demo", action="store_true", help="also feed simulated sessions")
    _add_daemon_timeout(up)
    up.set_defaults(func=_cmd_up)

    broker = sub.add_parser("broker", help="the proxy between daemons and workers")
    broker.add_argument("--frontend", default="tcp://127.0.0.1:5555")
    broker.add_argument("--backend", default="tcp://127.0.0.1:5556")
    broker.add_argument("--stats", default=None,
                        help="endpoint answering with the proxy's counters (datacat status)")
    broker.set_defaults(func=_cmd_broker)

    ingest = sub.add_parser("ingest", help="an ingest worker")
    ingest.add_argument("--backend", default="tcp://127.0.0.1:5556")
    ingest.add_argument("--store", required=True, help="memory:// or diskcache:///abs/path")
    _add_daemon_timeout(ingest)
    ingest.set_defaults(func=_cmd_ingest)

    web = sub.add_parser("web", help="REST API and dashboard")
    web.add_argument("--store", required=True)
    web.add_argument("--host", default="127.0.0.1")
    web.add_argument("--port", type=int, default=8080)
    web.set_defaults(func=_cmd_web)

    daemon = sub.add_parser("daemon", help="the per-user local daemon")
    add_daemon_arguments(daemon)
    daemon.set_defaults(func=_cmd_daemon)

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
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    args = build_parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except KeyboardInterrupt:
        return 130
    except ValueError as exc:  # configuration errors name what is wrong
        print(f"datacat {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
