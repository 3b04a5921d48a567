"""``datacat broker``, ``datacat ingest`` and ``datacat web``: one part of the tier each."""

from __future__ import annotations

import argparse

from ..config import ConfigError, resolve
from .errors import Refused
from .ports import check_free

__all__ = ["cmd_broker", "cmd_ingest", "cmd_web", "flags", "open_required_store"]


def flags(args: argparse.Namespace, *names: str) -> dict:
    """The named flags as given (``None`` when absent), for ``datacat.config.resolve``."""
    return {name: getattr(args, name, None) for name in names}


def _tcp(endpoint: str) -> tuple[str, int] | None:
    """``(host, port)`` of a tcp endpoint with a fixed port, else ``None``."""
    host, _, port = endpoint.removeprefix("tcp://").rpartition(":")
    if not endpoint.startswith("tcp://") or not port.isdigit() or int(port) == 0:
        return None
    return host, int(port)


def open_required_store(section: str, values: dict):
    """Open ``values["store"]``; a missing setting is a mistake, a failing store a refusal."""
    from datacat.broker.errors import StoreError
    from datacat.broker.store import open_store

    if not values["store"]:
        raise ConfigError(f"{section}.store is required (--store, $DATACAT_STORE or datacat.toml)")
    try:
        return open_store(values["store"])
    except StoreError as exc:
        raise Refused(f"cannot open the store {values['store']}: {exc}") from None


def cmd_broker(args: argparse.Namespace) -> int:
    import zmq

    from datacat.broker.proxy import Broker, BrokerSettings

    values = resolve("broker", flags(args, "frontend", "backend", "stats"))
    check_free({f"broker {what}": _tcp(values[what]) for what in ("frontend", "backend", "stats")
                if _tcp(values[what])})
    try:
        broker = Broker(BrokerSettings(**{k: v or None for k, v in values.items()}))
    except zmq.ZMQError as exc:
        raise OSError(f"cannot bind: {exc}") from None
    broker.serve_forever()
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from datacat.broker.retention import Retention
    from datacat.broker.worker import IngestWorker

    from ..process import collect_rarely

    values = resolve("ingest", flags(args, "backend", "store", "daemon_timeout"))
    curve = _worker_keys(values)
    retention = Retention(**resolve("retention"))
    store = open_required_store("ingest", values)
    try:
        worker = IngestWorker(store, values["backend"], values["daemon_timeout"],
                              stack_secret=values["stack_secret"] or None, curve=curve,
                              retention=retention)
    except ValueError:
        store.close()
        raise
    collect_rarely()
    worker.install_signal_handlers()
    worker.run()
    return 0


def _worker_keys(values: dict):
    """The worker's CURVE keys (``None`` without ``ingest.broker_public_key``)."""
    from datacat.curve import CurveKeys, load_keys, load_public_key

    if not values["broker_public_key"]:
        return None
    if not values["secret_key"]:
        raise ConfigError("ingest.secret_key is required with ingest.broker_public_key "
                          "(make one with `datacat keys`)")
    return CurveKeys(load_public_key(values["broker_public_key"]), *load_keys(values["secret_key"]))


def cmd_web(args: argparse.Namespace) -> int:
    from datacat.web.server import serve
    from datacat.web.settings import WebSettings

    values = resolve("web", flags(args, "store", "host", "port", "tokens_file", "broker_stats",
                                  "read_timeout"))
    open_required_store("web", values).close()
    check_free({"web": (values["host"], values["port"])})
    serve(WebSettings(store_url=values["store"], host=values["host"], port=values["port"],
                      tokens_file=values["tokens_file"] or None,
                      broker_stats=values["broker_stats"] or None,
                      read_timeout=values["read_timeout"]))
    return 0
