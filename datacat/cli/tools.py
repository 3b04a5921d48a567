"""``datacat demo``, ``status``, ``config``, ``keys`` and ``tokens``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..checks import plain_name
from ..config import ConfigError, config_path, effective, resolve
from ..runtime import runtime_paths, spool_directory
from . import show
from .daemon import daemon_status
from .parts import flags, open_required_store
from .stack import default_data_dir

__all__ = ["cmd_demo", "cmd_status", "cmd_config", "cmd_keys", "cmd_tokens"]


def cmd_demo(args: argparse.Namespace) -> int:
    """Simulated apps; with ``--broker``, served by a daemon for that broker (with an explicit
    ``DATACAT_RUNTIME_DIR``, refused if the daemon there sends elsewhere)."""
    from ..demo import run_demo

    wanted = resolve("daemon", {"broker": args.broker})["broker"]
    if args.broker:
        os.environ["DATACAT_BROKER"] = wanted  # before the paths: a daemon for these brokers
    paths = runtime_paths()
    running = daemon_status(paths, timeout=1.0)
    if running and sorted(running["brokers"]) != sorted(wanted.split(",")):
        if args.broker:
            raise ConfigError(f"the running daemon (pid {running['pid']}) sends to "
                              f"{', '.join(running['brokers'])}, not {args.broker}: stop it with "
                              "`datacat daemon stop`, or leave out --broker")
        wanted = ",".join(running["brokers"])
    os.environ["DATACAT_BROKER"] = wanted
    web = resolve("web")
    dashboard = args.dashboard or f"http://{web['host']}:{web['port']}/"
    print(f"datacat demo: {args.sessions} simulated apps for about {args.seconds:.0f} s, "
          f"sending to {wanted}\n  watch them arrive at {dashboard}", flush=True)

    def progress(done: int, scenario: str, product: str, code: int) -> None:
        print(f"  [{done}/{args.sessions}] {product} finished ({scenario}, exit status {code})",
              flush=True)

    run_demo(sessions=args.sessions, seconds=args.seconds, progress=progress)
    print(f"datacat demo: done; the sessions are at {dashboard}", flush=True)
    return 0


def _status_text(report: dict) -> str:
    daemon = report["daemon"]
    parts = ["daemon:\n" + show.fields(sorted(_flat(daemon).items())) if isinstance(daemon, dict)
             else f"daemon: {daemon}"]
    if "broker" in report:
        broker = report["broker"]
        parts.append("broker:\n" + (show.fields(sorted(broker.items()))
                                    if isinstance(broker, dict) else broker))
    if "workers" in report:
        parts.append("workers:\n" + show.table(
            ["id", "host", "pid", "last seen", "lag s", "applied", "events"],
            [[w["id"], w.get("host"), w.get("pid"), show.local_time(w.get("last_seen")),
              f"{w.get('lag', 0):.2f}", w["counters"].get("applied", 0),
              w["counters"].get("events", 0)] for w in report["workers"]]))
        parts.append("daemons:\n" + show.table(
            ["id", "host", "last seen", "watching"],
            [[d["id"], d.get("host"), show.local_time(d.get("last_seen")),
              len(d.get("watching") or [])] for d in report["daemons"]]))
    return "\n\n".join(parts)


def _flat(values: dict) -> dict:
    """Counters for a human: lists as counts or joined, maps as ``key=value`` pairs."""
    out = {}
    for name, value in values.items():
        if name == "watched":
            out[name] = f"{len(value)} sessions (datacat daemon status lists them)"
        elif isinstance(value, list):
            out[name] = ", ".join(map(str, value))
        elif isinstance(value, dict):
            out[name] = ", ".join(f"{k}={v}" for k, v in sorted(value.items())) or "-"
        else:
            out[name] = value
    return out


def cmd_status(args: argparse.Namespace) -> int:
    from ..control import ask

    paths = runtime_paths()
    status = daemon_status(paths, args.timeout)
    counters = ask(paths.control_endpoint, {"op": "stats"}, args.timeout) if status else None
    report: dict = {"daemon": {**(counters or {}), **status} if status
                    else f"no daemon runs in {paths.directory}"}
    if args.broker_stats:
        report["broker"] = ask(args.broker_stats, {}, args.timeout) or "no answer"
    if args.store:
        store = open_required_store("status", {"store": args.store})
        report["workers"], report["daemons"] = store.workers(), store.daemons()
        store.close()
    print(show.as_json(report) if args.json else _status_text(report))
    return 0 if isinstance(report["daemon"], dict) or len(report) > 1 else 1


def cmd_config(args: argparse.Namespace) -> int:
    values = effective()
    paths = runtime_paths()
    values["daemon"]["spool_dir"] = values["daemon"]["spool_dir"] or str(spool_directory(paths))
    values["up"]["data_dir"] = values["up"]["data_dir"] or str(default_data_dir())
    if args.json:
        print(show.as_json({"config_file": str(config_path() or ""), **values}))
        return 0
    print(f"# config file: {config_path() or 'none'}\n# daemon runtime dir: {paths.directory}")
    for section, keys in values.items():
        print(f"\n[{section}]\n" + show.fields([(k, repr(v) if isinstance(v, str) else v)
                                                for k, v in keys.items()]))
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    from ..curve import generate_keys

    problem = plain_name(args.name)
    if problem:
        raise ConfigError(f"key name {args.name!r} {problem}")
    public, secret = generate_keys(Path(args.dir), args.name, overwrite=args.force)
    print(f"public key  {public}\nsecret key  {secret}   (keep it private: 0600)")
    if args.name == "broker":
        print("broker: set broker.secret_key to the secret file; give daemons the public file "
              "(daemon.broker_public_key)")
    else:
        print("daemon: set daemon.secret_key to the secret file; copy the public file into the "
              "broker's broker.allowed_keys directory")
    return 0


def cmd_tokens(args: argparse.Namespace) -> int:
    from datacat.web.auth import create_token, list_tokens, revoke_token

    path = resolve("web", flags(args, "tokens_file"))["tokens_file"]
    if not path:
        raise ConfigError("web.tokens_file is required (--tokens-file, $DATACAT_TOKENS_FILE or "
                          "datacat.toml)")
    if args.action == "create":
        print(create_token(path, args.name, args.scopes.split(",")))
        print(f"# token {args.name!r} created; it is shown once", file=sys.stderr)
    elif args.action == "revoke":
        revoke_token(path, args.name)
    elif args.json:
        print(show.as_json(list_tokens(path)))
    else:
        print(show.table(["name", "scopes", "created"],
                         [[t["name"], ",".join(t["scopes"]), show.local_time(t["created_at"])]
                          for t in list_tokens(path)]))
    return 0


def cmd_store_copy(args: argparse.Namespace) -> int:
    from datacat.broker.store.copy import main as copy_main

    return copy_main(args.src, args.dst)
