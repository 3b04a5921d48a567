"""Which requests need which scope, and when the app may run without tokens."""

from __future__ import annotations

import ipaddress

__all__ = ["OPEN_PATHS", "required_scope", "is_loopback", "check_bind"]

#: Paths anyone may request: liveness and the login form.
OPEN_PATHS = frozenset({"/health", "/login", "/logout"})
_SAFE = frozenset({"GET", "HEAD"})


def required_scope(method: str, path: str) -> str | None:
    """``None`` for an open path, ``read`` for GET/HEAD, ``write`` for any other method."""
    if path in OPEN_PATHS:
        return None
    return "read" if method in _SAFE else "write"


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` listens on loopback only (``localhost``, 127.0.0.0/8, ::1)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False  # another host name, "", "0.0.0.0", "::": may be reachable from outside


def check_bind(host: str, tokens_file, token_count: int) -> None:
    """``ValueError`` if ``host`` is not loopback and no token could authorise a request."""
    if is_loopback(host) or token_count:
        return
    why = (f"the token file {tokens_file} holds none" if tokens_file
           else "no token file is set (tokens_file)")
    raise ValueError(
        f"refusing to serve on {host or 'every address'} without API tokens: {why}. "
        "Create one (datacat tokens create NAME --scope read) or bind 127.0.0.1")
