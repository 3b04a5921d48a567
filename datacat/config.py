"""One configuration for every process: flags > ``DATACAT_*`` env > ``datacat.toml`` > defaults.

``SCHEMA`` lists every key once (type, default, environment variable, help);
``resolve(section, flags)`` turns the four sources into one typed ``dict``. A key the schema
does not know, a value of the wrong type, or one its key's check refuses (``datacat.checks``:
ports, endpoints, store URLs, directories, counts, intervals) is a ``ConfigError`` naming
the key and where it came from. ``docs/configuration.md`` documents the same table.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import checks
from .checks import Check
from .runtime import DEFAULT_BROKER

__all__ = ["Key", "SCHEMA", "ConfigError", "config_path", "load_file", "resolve", "effective"]


@dataclass(frozen=True)
class Key:
    name: str
    type: type
    default: Any
    env: str | None
    help: str
    secret: bool = False
    check: Check | None = None  # why a value of the right type is still wrong, or None


def _keys(*keys: Key) -> dict[str, Key]:
    return {key.name: key for key in keys}


_BROKER = DEFAULT_BROKER
_BACKEND = "tcp://127.0.0.1:5556"
_STORE = "DATACAT_STORE"
_STACK = "DATACAT_STACK_SECRET"

SCHEMA: dict[str, dict[str, Key]] = {
    "daemon": _keys(
        Key("broker", str, _BROKER, "DATACAT_BROKER", "broker endpoint(s), comma-separated",
            check=checks.endpoints),
        Key("flush_interval", float, 1.0, "DATACAT_FLUSH_INTERVAL", "seconds between batches",
            check=checks.positive),
        Key("beat_interval", float, 5.0, "DATACAT_DAEMON_BEAT",
            "at most this many seconds between batches (liveness)", check=checks.positive),
        Key("spool_dir", str, "", "DATACAT_SPOOL_DIR",
            "journal and batch spool (default: the state directory, see delivery.md)",
            check=checks.directory),
        Key("spool_max_bytes", int, 256 * 1024 * 1024, "DATACAT_SPOOL_MAX_BYTES",
            "the spool's bound in bytes", check=checks.at_least_one),
        Key("group_commit", float, 0.1, "DATACAT_GROUP_COMMIT",
            "seconds a received frame may wait before it is on disk"),
        Key("spool_sync", bool, True, "DATACAT_SPOOL_SYNC", "fdatasync each journal commit"),
        Key("broker_public_key", str, "", "DATACAT_BROKER_PUBLIC_KEY",
            "the broker's CURVE public key file: encrypt and authenticate to the broker"),
        Key("secret_key", str, "", "DATACAT_DAEMON_SECRET_KEY",
            "this daemon's CURVE secret key file", secret=True),
    ),
    "broker": _keys(
        Key("frontend", str, _BROKER, "DATACAT_BROKER_FRONTEND", "where daemons connect",
            check=checks.endpoint),
        Key("backend", str, _BACKEND, "DATACAT_BROKER_BACKEND", "where ingest workers connect",
            check=checks.endpoint),
        Key("stats", str, "", "DATACAT_BROKER_STATS", "endpoint answering with the proxy's counters",
            check=checks.optional_endpoint),
        Key("secret_key", str, "", "DATACAT_BROKER_SECRET_KEY",
            "the broker's CURVE secret key file (required off loopback)", secret=True),
        Key("allowed_keys", str, "", "DATACAT_BROKER_ALLOWED_KEYS",
            "directory of daemon public key files allowed to connect"),
        Key("stack_secret", str, "", _STACK,
            "shared with the stack's ingest workers: no other worker can attach", secret=True),
        Key("backend_secret_key", str, "", "DATACAT_BROKER_BACKEND_SECRET_KEY",
            "the backend's CURVE secret key file (required off loopback)", secret=True),
        Key("backend_allowed_keys", str, "", "DATACAT_BROKER_BACKEND_ALLOWED_KEYS",
            "directory of ingest worker public key files allowed to connect"),
    ),
    "ingest": _keys(
        Key("backend", str, _BACKEND, "DATACAT_INGEST_BACKEND",
            "the brokers' backend endpoint(s), comma-separated", check=checks.endpoints),
        Key("store", str, "", _STORE, "store URL (memory:// or diskcache:///abs/path)",
            check=checks.store_url),
        Key("daemon_timeout", float, 60.0, "DATACAT_DAEMON_TIMEOUT",
            "seconds of silence after which a daemon's sessions are lost", check=checks.positive),
        Key("stack_secret", str, "", _STACK,
            "the broker's stack secret: attach only to that broker", secret=True),
        Key("broker_public_key", str, "", "DATACAT_INGEST_BROKER_PUBLIC_KEY",
            "the brokers' backend CURVE public key file (required off loopback)"),
        Key("secret_key", str, "", "DATACAT_INGEST_SECRET_KEY",
            "this worker's CURVE secret key file", secret=True),
    ),
    "web": _keys(
        Key("store", str, "", _STORE, "store URL", check=checks.store_url),
        Key("host", str, "127.0.0.1", "DATACAT_WEB_HOST", "bind address"),
        Key("port", int, 8080, "DATACAT_WEB_PORT", "port", check=checks.port),
        Key("tokens_file", str, "", "DATACAT_TOKENS_FILE",
            "API tokens (required when host is not loopback)"),
        Key("broker_stats", str, "", "DATACAT_BROKER_STATS", "the broker's counters, for /api/v1/stats",
            check=checks.optional_endpoint),
        Key("read_timeout", float, 10.0, "DATACAT_WEB_READ_TIMEOUT",
            "seconds a store read may take, queueing included, before the request gets 503",
            check=checks.positive),
    ),
    "retention": _keys(
        Key("days", float, 0.0, "DATACAT_RETENTION_DAYS",
            "days a session is kept after it was first stored (0: forever; fractions allowed)"),
        Key("products", dict, {}, "DATACAT_RETENTION_PRODUCTS",
            "per-product days overriding `days` (0: forever); env form `Name=30,Other=0`",
            check=checks.days_by_name),
    ),
    "up": _keys(
        Key("data_dir", str, "", "DATACAT_DATA_DIR", "where the embedded store lives",
            check=checks.directory),
        Key("workers", int, 2, "DATACAT_WORKERS", "ingest worker processes",
            check=checks.at_least_one),
        Key("broker_host", str, "127.0.0.1", "DATACAT_BROKER_HOST", "the broker's bind address"),
        Key("broker_port", int, 5555, "DATACAT_BROKER_PORT", "port daemons connect to",
            check=checks.port),
        Key("backend_port", int, 0, "DATACAT_BACKEND_PORT", "port workers connect to (0: broker+1)",
            check=checks.port_or_zero),
        Key("stats_port", int, 0, "DATACAT_STATS_PORT", "port of the broker's counters (0: broker+2)",
            check=checks.port_or_zero),
    ),
}


_KIND = {int: "an integer", float: "a number", bool: "true or false", str: "text",
         dict: "a table of names to numbers (env: name=number,…)"}


class ConfigError(ValueError):
    """A configuration value is unknown or wrong; the message names the key and its source."""


def config_path() -> Path | None:
    """``DATACAT_CONFIG``, else ``$XDG_CONFIG_HOME/datacat/datacat.toml`` if it exists."""
    explicit = os.environ.get("DATACAT_CONFIG")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    default = Path(base) / "datacat" / "datacat.toml"
    return default if default.exists() else None


def _coerce(key: Key, value: Any, where: str) -> Any:
    """``value`` as ``key.type``; strings (env, flags) are parsed, file values must match."""
    if isinstance(value, str) and key.type is not str:
        try:
            if key.type is bool:
                if value.lower() not in ("1", "0", "true", "false", "yes", "no"):
                    raise ValueError(value)
                return value.lower() in ("1", "true", "yes")
            value = _parse_table(value) if key.type is dict else key.type(value.strip())
        except ValueError:
            raise ConfigError(f"{where}: {key.name} = {value!r} is not {_KIND[key.type]}") from None
    if key.type is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, key.type) or (key.type is not bool and isinstance(value, bool)):
        raise ConfigError(f"{where}: {key.name} = {value!r} is not {_KIND[key.type]}")
    problem = (key.check or _default_check(key))(value)
    if problem:
        raise ConfigError(f"{where}: {key.name} = {value!r} {problem}")
    return value


def _parse_table(text: str) -> dict[str, float]:
    """``name=number,…`` (the env and flag form of a table); ``ValueError`` if it is not."""
    table = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, equals, number = item.rpartition("=")
        if not equals or not name.strip():
            raise ValueError(item)
        table[name.strip()] = float(number)
    return table


def _default_check(key: Key) -> Check:
    return checks.not_negative if key.type in (int, float) else lambda value: None


def load_file(path: Path) -> dict[str, dict[str, Any]]:
    """Parse and check a ``datacat.toml``; every section and key must be known."""
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    checked: dict[str, dict[str, Any]] = {}
    for section, values in data.items():
        if section not in SCHEMA or not isinstance(values, dict):
            raise ConfigError(f"{path}: unknown section [{section}] "
                              f"(known: {', '.join(SCHEMA)})")
        for name, value in values.items():
            key = SCHEMA[section].get(name)
            if key is None:
                raise ConfigError(f"{path}: unknown key {section}.{name}")
            checked.setdefault(section, {})[name] = _coerce(key, value, f"{path} [{section}]")
    return checked


def resolve(section: str, flags: dict[str, Any] | None = None, path: Path | None = None,
            env: dict[str, str] | None = None) -> dict[str, Any]:
    """The effective, typed values of ``section``: flags > env > file > defaults."""
    env = os.environ if env is None else env
    path = config_path() if path is None else path
    from_file = load_file(path).get(section, {}) if path is not None else {}
    result = {}
    for name, key in SCHEMA[section].items():
        flag = (flags or {}).get(name)
        if flag is not None:
            result[name] = _coerce(key, flag, f"--{name.replace('_', '-')}")
        elif key.env and env.get(key.env, "") != "":
            result[name] = _coerce(key, env[key.env], f"${key.env}")
        elif name in from_file:
            result[name] = from_file[name]
        else:
            result[name] = key.default
    return result


def effective(path: Path | None = None, env: dict[str, str] | None = None) -> dict:
    """Every section's effective values, secrets masked (``datacat config``)."""
    out = {}
    for section, keys in SCHEMA.items():
        values = resolve(section, path=path, env=env)
        out[section] = {name: ("********" if keys[name].secret and value else value)
                        for name, value in values.items()}
    return out
