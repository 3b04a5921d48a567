"""Is a TCP port free to bind, and if not, which process holds it?"""

from __future__ import annotations

import errno
import socket

import psutil

from .errors import Refused

__all__ = ["PortTaken", "check_free", "holder"]


class PortTaken(Refused):
    """A port a command needs is in use; the message names it and, if knowable, its holder."""


def holder(port: int) -> str | None:
    """``pid N (command line)`` of the process listening on ``port``, if this user may see it."""
    try:
        connections = psutil.net_connections(kind="tcp")
    except (psutil.Error, OSError):
        return None
    for conn in connections:
        if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN and conn.pid:
            try:
                command = " ".join(psutil.Process(conn.pid).cmdline()) or "?"
            except psutil.Error:
                command = "?"
            return f"pid {conn.pid} ({command[:120]})"
    return None


def _bind_error(host: str, port: int) -> OSError | None:
    host = host.strip("[]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as zmq and Sanic bind
        try:
            sock.bind((host if host not in ("*", "") else "0.0.0.0", port))
        except OSError as exc:
            return exc
    return None


def check_free(ports: dict[str, tuple[str, int]]) -> None:
    """Raise ``PortTaken`` for the first of ``{what: (host, port)}`` that cannot be bound."""
    seen: dict[int, str] = {}
    for what, (host, port) in ports.items():
        if port in seen:
            raise PortTaken(f"port {port} is given twice: for the {seen[port]} and the {what}")
        seen[port] = what
        error = _bind_error(host, port)
        if error is None:
            continue
        if error.errno == errno.EADDRINUSE:
            who = holder(port)
            raise PortTaken(f"port {port} ({what}) is in use" + (f" by {who}" if who else ""))
        raise PortTaken(f"cannot bind {host}:{port} ({what}): {error.strerror}")
