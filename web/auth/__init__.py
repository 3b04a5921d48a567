"""REST auth: scoped bearer tokens stored hashed, a login cookie, a failure rate limit.

For the CLI: ``create_token(path, name, scopes) -> secret``, ``list_tokens(path)``,
``revoke_token(path, name)``; errors are ``TokenError`` (a ``ValueError``). For the app:
``setup_auth(app, settings)``. The model is described in ``docs/security.md``.
"""

from __future__ import annotations

import logging

from sanic import Sanic

from .guard import COOKIE, Auth, install
from .keyring import Keyring
from .login import bp as login_blueprint
from .policy import check_bind, is_loopback, required_scope
from .tokens import SCOPES, Token, TokenError, create_token, list_tokens, read_tokens, revoke_token

__all__ = ["SCOPES", "COOKIE", "Token", "TokenError", "create_token", "list_tokens",
           "revoke_token", "read_tokens", "Auth", "Keyring", "setup_auth", "is_loopback",
           "required_scope"]

log = logging.getLogger("datacat.web.auth")


def setup_auth(app: Sanic, settings, on_failure=None) -> Auth:
    """Guard ``app`` with the tokens of ``settings.tokens_file`` (none: auth off).

    Raises ``ValueError`` (before anything listens) when ``settings.host`` is not
    loopback and no token exists, or ``TokenError`` for an unusable token file.
    ``on_failure(reason)`` is called for every refused attempt (metrics).
    """
    keyring = Keyring(settings.tokens_file) if settings.tokens_file else None
    count = len(keyring.tokens()) if keyring else 0
    check_bind(settings.host, settings.tokens_file, count)
    if keyring is not None and not count:
        log.warning("%s holds no token: every request but /health will be refused",
                    settings.tokens_file)
    auth = Auth(keyring, on_failure=on_failure)
    install(app, auth)
    app.blueprint(login_blueprint)
    return auth
