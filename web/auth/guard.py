"""The request guard: bearer token or login cookie → a token with the route's scope.

Order of checks for a protected route: a credential is present (else 401, or a redirect
to ``/login`` for a browser page), the client address is not rate-limited (else 429),
the secret names a token (else 401, counted as a failure), the token has the scope
(else 403). Failures are logged with the address, route and reason, never the secret.
"""

from __future__ import annotations

import logging
import math
import time
from urllib.parse import quote

from sanic import Sanic
from sanic.request import Request
from sanic.response import redirect

from ..errors import ApiError
from .keyring import Keyring
from .limiter import FailureLimiter
from .policy import required_scope

__all__ = ["Auth", "COOKIE", "credential", "client_address", "safe_next", "install"]

log = logging.getLogger("datacat.web.auth")

#: The HTTP-only cookie ``POST /login`` sets; accepted for GET and HEAD only.
COOKIE = "datacat_token"
_SAFE = frozenset({"GET", "HEAD"})


class Auth:
    """``app.ctx.auth``: the keyring (``None``: auth off), the limiter, failure counting."""

    def __init__(self, keyring: Keyring | None, limiter: FailureLimiter | None = None,
                 on_failure=None):
        self.keyring = keyring
        self.limiter = limiter or FailureLimiter()
        self._on_failure = on_failure or (lambda reason: None)

    @property
    def enabled(self) -> bool:
        return self.keyring is not None

    def failed(self, request: Request, reason: str, count: bool, detail: str = "") -> None:
        """Log (and count) one refused attempt; ``count`` feeds the rate limit."""
        address = client_address(request)
        if count:
            self.limiter.fail(address, time.monotonic())
        self._on_failure(reason)
        log.warning("auth refused: %s from %s on %s %s%s", reason, address, request.method,
                    request.path, f" ({detail})" if detail else "")

    def check_rate(self, request: Request) -> None:
        """429 while the client's address is rate-limited."""
        wait = self.limiter.retry_after(client_address(request), time.monotonic())
        if wait > 0:
            self.failed(request, "rate_limited", count=False)
            raise ApiError(429, "too_many_requests", "too many failed attempts; try again later",
                           {"Retry-After": str(math.ceil(wait))})

    async def guard(self, request: Request):
        """Request middleware: returns a redirect or raises ``ApiError`` to refuse."""
        request.ctx.token = None
        scope = required_scope(request.method, request.path)
        if not self.enabled or scope is None:
            return None
        secret = credential(request)
        if secret is None:
            if _wants_page(request):
                return _to_login(request)
            self.failed(request, "missing_token", count=False)
            raise ApiError(401, "unauthorized", "this route needs an API token: "
                           "send 'Authorization: Bearer <token>'",
                           {"WWW-Authenticate": 'Bearer realm="datacat"'})
        self.check_rate(request)
        token = self.keyring.lookup(secret)
        if token is None:
            self.failed(request, "unknown_token", count=True)
            if _wants_page(request) and "authorization" not in request.headers:
                return _to_login(request)  # a login cookie whose token was revoked
            raise ApiError(401, "unauthorized", "the API token is not valid",
                           {"WWW-Authenticate": 'Bearer realm="datacat", error="invalid_token"'})
        if not token.allows(scope):
            self.failed(request, "insufficient_scope", count=False, detail=f"token {token.name!r}")
            raise ApiError(403, "forbidden", f"this token lacks the {scope!r} scope",
                           {"WWW-Authenticate": f'Bearer realm="datacat", '
                                               f'error="insufficient_scope", scope="{scope}"'})
        request.ctx.token = token
        return None


def credential(request: Request) -> str | None:
    """The bearer secret, or the login cookie's on GET/HEAD (so no cross-site form can
    write with it); ``None`` if neither is there."""
    header = request.headers.get("authorization")
    if header:
        kind, _, secret = header.strip().partition(" ")
        return secret.strip() if kind.lower() == "bearer" and secret.strip() else None
    if request.method in _SAFE:
        return request.cookies.get(COOKIE) or None
    return None


def client_address(request: Request) -> str:
    """The client's address (the proxy's view when proxy headers are configured)."""
    return request.remote_addr or request.ip or "unknown"


def safe_next(target: str | None) -> str:
    """``target`` if it is a path on this site, else ``/`` (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _to_login(request: Request):
    target = request.path + (f"?{request.query_string}" if request.query_string else "")
    return redirect("/login?next=" + quote(safe_next(target), safe="/"), status=303)


def _wants_page(request: Request) -> bool:
    """A browser asking for a page (not the API): send it to the login form instead."""
    return (request.method == "GET" and not request.path.startswith("/api/")
            and "text/html" in request.headers.get("accept", ""))


def install(app: Sanic, auth: Auth) -> None:
    """Put ``auth`` in ``app.ctx.auth`` and guard every request with it (first middleware)."""
    app.ctx.auth = auth
    app.register_middleware(auth.guard, "request", priority=1000)
