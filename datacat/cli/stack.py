"""``datacat up``: broker, ingest workers and web (and, with ``--demo``, a daemon and the demo) as
children of one supervisor, on ports checked before anything starts."""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

from ..config import ConfigError, resolve
from ..control import ask
from ..runtime import RuntimePaths, squatted
from ..supervise import Child, GaveUp, Supervisor, wait_http
from .errors import Refused
from .parts import flags
from .ports import check_free

__all__ = ["cmd_up", "private_directory", "default_data_dir"]

ME = [sys.executable, "-m", "datacat.cli"]


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    return Path(base) / "datacat"


def private_directory(path: Path) -> Path:
    """Make ``path`` 0700, and what an earlier run left in its ``store`` and ``spool`` 0700/0600."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    problem = squatted(path)
    if problem:
        raise Refused(f"the data directory {path} {problem}")
    os.chmod(path, 0o700)
    for root, dirs, files in (*os.walk(path / "store"), *os.walk(path / "spool")):
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o700)
        for name in files:
            os.chmod(os.path.join(root, name), 0o600)
    return path


def _ports(up: dict, web: dict) -> dict[str, tuple[str, int]]:
    backend = up["backend_port"] or up["broker_port"] + 1
    stats = up["stats_port"] or up["broker_port"] + 2
    for name, port in (("backend_port", backend), ("stats_port", stats)):
        if port > 65535:
            raise ConfigError(f"up.{name} = {port} (broker port + {port - up['broker_port']}) is "
                              "not a port: give a lower --broker-port or set it")
    return {"web": (web["host"], web["port"]), "broker": (up["broker_host"], up["broker_port"]),
            "broker backend": ("127.0.0.1", backend), "broker stats": ("127.0.0.1", stats)}


def _start_daemon(supervisor: Supervisor, env: dict, frontend: str, data_dir: Path) -> dict:
    """A daemon of this stack's own (its runtime dir private, its spool in the data dir)."""
    run_dir = Path(tempfile.mkdtemp(prefix="datacat-up-"))
    env = dict(env, DATACAT_RUNTIME_DIR=str(run_dir), DATACAT_SPOOL_DIR=str(data_dir / "spool"),
               DATACAT_BROKER=frontend)
    supervisor.add(Child("daemon", ME + ["daemon", "run", "--broker", frontend], env=env))
    control = RuntimePaths(run_dir).control_endpoint
    deadline = time.monotonic() + 30
    while ask(control, {"op": "status"}, 0.5) is None:
        if time.monotonic() > deadline or supervisor.first_dead():
            raise Refused("the stack's daemon did not start")
    return env


def cmd_up(args: argparse.Namespace) -> int:
    up = resolve("up", flags(args, "data_dir", "workers", "broker_host", "broker_port",
                             "backend_port", "stats_port"))
    web = resolve("web", flags(args, "store", "host", "port"))
    timeout = resolve("ingest", flags(args, "daemon_timeout"))["daemon_timeout"]
    ports = _ports(up, web)
    check_free(ports)
    os.umask(0o077)  # the store, the spool and the logs are this user's alone
    data_dir = private_directory(Path(up["data_dir"] or default_data_dir()).resolve())
    store = web["store"] or f"diskcache://{data_dir / 'store'}"
    frontend = f"tcp://{up['broker_host']}:{up['broker_port']}"
    backend = f"tcp://127.0.0.1:{ports['broker backend'][1]}"
    stats = f"tcp://127.0.0.1:{ports['broker stats'][1]}"
    env = dict(os.environ, DATACAT_STACK_SECRET=secrets.token_urlsafe(24))
    children = [Child("broker", ME + ["broker", "--frontend", frontend, "--backend", backend,
                                      "--stats", stats], env=env)]
    ingest = ["ingest", "--backend", backend, "--store", store, "--daemon-timeout", str(timeout)]
    children += [Child(f"ingest-{i + 1}", ME + ingest, env=env) for i in range(up["workers"])]
    children.append(Child("web", ME + ["web", "--store", store, "--host", web["host"],
                                       "--port", str(web["port"]), "--broker-stats", stats], env=env))
    supervisor = Supervisor(children)
    supervisor.install_signal_handlers()
    supervisor.start()
    url = f"http://{web['host']}:{web['port']}"
    demo_env = None
    try:
        if not wait_http(f"{url}/health", 60, lambda: not (supervisor.first_dead()
                                                          or supervisor.stopping)):
            if supervisor.stopping:
                return 0
            dead = supervisor.first_dead()
            raise Refused(f"{dead.name} exited ({dead.process.returncode}) while starting; stopped"
                          if dead else "the web app did not answer in 60 s; stopped")
        if args.demo:
            demo_env = _start_daemon(supervisor, env, frontend, data_dir)
        print(f"DataCat is up (store {store})\n  dashboard  {url}/\n  REST API   {url}/api/v1/sessions"
              f"\n  broker     {frontend}   (apps: DATACAT_BROKER={frontend})"
              f"\n  status     datacat status --broker-stats {stats} --store {store}"
              f"\nCtrl-C stops it.", flush=True)
        if demo_env:
            supervisor.add(Child("demo", ME + ["demo", "--broker", frontend, "--dashboard",
                                               f"{url}/"], restart=False, env=demo_env))
        supervisor.watch()
    except GaveUp as exc:
        raise Refused(str(exc)) from None
    finally:
        supervisor.stop()
        if demo_env:
            shutil.rmtree(demo_env["DATACAT_RUNTIME_DIR"], ignore_errors=True)
    return 0
