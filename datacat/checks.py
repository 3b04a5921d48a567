"""Value checks for configuration keys: each returns ``None`` if the value is fine, else why not.

``datacat.config`` runs the check of a key on every value it resolves, whatever its source, so
every process refuses a bad port, URL, path, count or interval the same way, with one line.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

__all__ = ["Check", "port", "port_or_zero", "at_least_one", "positive", "not_negative", "endpoint",
           "endpoints", "optional_endpoint", "store_url", "directory", "plain_name",
           "days_by_name"]

Check = Callable[[object], "str | None"]

_ENDPOINT_SCHEMES = ("tcp", "ipc", "inproc")


def port(value) -> str | None:
    return None if 1 <= value <= 65535 else "is not a port (1-65535)"


def port_or_zero(value) -> str | None:
    return None if 0 <= value <= 65535 else "is not a port (1-65535, or 0 for the default)"


def at_least_one(value) -> str | None:
    return None if value >= 1 else "must be at least 1"


def positive(value) -> str | None:
    return None if 0 < value < math.inf else "must be a number of seconds more than 0"


def not_negative(value) -> str | None:
    return None if value >= 0 else "must not be negative"


def days_by_name(value) -> str | None:
    for name, days in value.items():
        if isinstance(days, bool) or not isinstance(days, (int, float)) or not 0 <= days < math.inf:
            return f"gives {name!r} {days!r}: days must be a number, 0 or more"
    return None


def endpoint(value) -> str | None:
    """A ZeroMQ endpoint: ``tcp://host:port`` (port may be ``*`` or 0 to bind any), ``ipc://path``."""
    scheme, sep, rest = str(value).partition("://")
    if not sep or scheme not in _ENDPOINT_SCHEMES or not rest:
        return "is not an endpoint (tcp://host:port or ipc:///path)"
    if scheme != "tcp":
        return None
    host, colon, number = rest.rpartition(":")
    if not colon or not host:
        return "names no port (tcp://host:port)"
    if number == "*":
        return None
    if not number.isdigit() or not 0 <= int(number) <= 65535:
        return f"has no valid port ({number!r} is not 0-65535)"
    return None


def endpoints(value) -> str | None:
    """A comma-separated list of at least one endpoint."""
    parts = [part.strip() for part in str(value).split(",") if part.strip()]
    if not parts:
        return "names no endpoint"
    for part in parts:
        problem = endpoint(part)
        if problem:
            return f"{problem}: {part!r}"
    return None


def optional_endpoint(value) -> str | None:
    return None if value == "" else endpoint(value)


def _creatable(path: Path) -> str | None:
    """Why ``path`` cannot be (or be used as) a directory of ours, or ``None``."""
    probe = path
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe != path:
        if not probe.is_dir():
            return f"cannot be created: {probe} is not a directory"
        if not os.access(probe, os.W_OK | os.X_OK) or os.statvfs(probe).f_blocks == 0:
            return f"cannot be created: {probe} is not writable"
        return None
    if not path.is_dir():
        return "is not a directory"
    if not os.access(path, os.W_OK | os.X_OK):
        return "is not writable"
    return None


def directory(value) -> str | None:
    """Empty (the default), or a directory that exists or can be made, given absolute or not."""
    return None if value == "" else _creatable(Path(os.path.abspath(value)))


def store_url(value) -> str | None:
    """Empty, ``memory://``, ``diskcache:///absolute/path`` (creatable), ``redis://host``,
    ``rediss://host``, ``redis+sentinel://host,host/service`` or ``redis+cluster://host,host``."""
    if value == "":
        return None
    parsed = urlparse(str(value))
    if parsed.scheme == "memory":
        return None
    if parsed.scheme in ("redis", "rediss", "redis+sentinel", "redis+cluster"):
        return None if parsed.netloc else "names no host (redis://host:port/db)"
    if parsed.scheme != "diskcache":
        return ("is not a store URL (memory://, diskcache:///abs/path, redis://host, "
                "rediss://host, redis+sentinel://hosts/service or redis+cluster://hosts)")
    if parsed.netloc or not parsed.path.startswith("/"):
        return "is not an absolute path: write diskcache:///abs/path (three slashes)"
    problem = _creatable(Path(parsed.path))
    return f"{parsed.path} {problem}" if problem else None


def plain_name(value) -> str | None:
    """A file name without directories, dots in front or odd characters."""
    text = str(value)
    if not text or text.startswith(".") or any(not (c.isalnum() or c in "-_.") for c in text):
        return "is not a plain name (letters, digits, '-', '_' and '.', not starting with '.')"
    return None
