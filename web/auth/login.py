"""``GET /login`` (a form), ``POST /login`` (token → HTTP-only cookie), ``POST /logout``.

``POST /login`` takes a form (``token``, ``next``) or JSON ``{"token"}``. A token that is
not valid counts towards the client's rate limit. The cookie carries the secret itself,
``HttpOnly``, ``SameSite=Strict``, ``Secure`` over HTTPS, and is accepted for GET and
HEAD only: the dashboard reads with it; nothing can write with it.
"""

from __future__ import annotations

import html

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, redirect
from sanic.response import html as html_response

from ..errors import ApiError
from ..jsonio import json_response, read_object
from .guard import COOKIE, safe_next

__all__ = ["bp", "COOKIE_MAX_AGE"]

#: How long the browser keeps the login cookie (seconds); revoking the token ends it sooner.
COOKIE_MAX_AGE = 30 * 86400
_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>DataCat: sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font:16px system-ui,sans-serif;display:grid;place-items:center;min-height:90vh;
margin:0;background:#f4f5f7;color:#1d2330}}form{{background:#fff;padding:2rem;border-radius:8px;
box-shadow:0 1px 4px #0002;width:min(26rem,90vw)}}input{{width:100%;box-sizing:border-box;
padding:.6rem;margin:.4rem 0 1rem;font:inherit}}button{{padding:.6rem 1.2rem;font:inherit}}
.error{{color:#b3261e}}</style></head>
<body><form method="post" action="/login"><h1>DataCat</h1>
<p>Paste an API token with the <code>read</code> scope. The browser keeps it in an
HTTP-only cookie.</p>{message}
<label for="token">API token</label>
<input id="token" name="token" type="password" autocomplete="off" required autofocus>
<input type="hidden" name="next" value="{next}">
<button type="submit">Sign in</button></form></body></html>
"""

bp = Blueprint("auth_login")


def _page(next_path: str, error: str = "", status: int = 200) -> HTTPResponse:
    message = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    body = _PAGE.format(message=message, next=html.escape(safe_next(next_path)))
    return html_response(body, status=status, headers={
        "Content-Security-Policy": _CSP, "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff"})


def _is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "")
    return kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


def _same_origin(request: Request) -> bool:
    """No ``Origin`` (not a browser form) or this very host (no cross-site login)."""
    origin = request.headers.get("origin")
    return origin is None or origin.split("://", 1)[-1] == request.host


@bp.get("/login")
async def login_form(request: Request):
    """The sign-in form (with auth off, straight on to ``next``)."""
    target = safe_next(request.args.get("next"))
    if not request.app.ctx.auth.enabled:
        return redirect(target, status=303)
    return _page(target)


@bp.post("/login")
async def login(request: Request):
    """Check the token, set the cookie, go on to ``next`` (form) or answer JSON."""
    auth = request.app.ctx.auth
    form = _is_form(request)
    body = {k: request.form.get(k) for k in ("token", "next")} if form else read_object(request)
    target = safe_next(body.get("next") if isinstance(body.get("next"), str) else None)
    if not _same_origin(request):
        raise ApiError(403, "forbidden", "cross-site sign-in refused")
    if not auth.enabled:
        return redirect(target, status=303) if form else json_response({"status": "ok"})
    secret = body.get("token")
    if not isinstance(secret, str) or not secret.strip():
        raise ApiError(400, "missing_field", "token is required")
    auth.check_rate(request)
    token = auth.keyring.lookup(secret.strip())
    if token is None or not token.allows("read"):
        auth.failed(request, "login_refused", count=token is None,
                    detail=f"token {token.name!r} lacks read" if token else "")
        why = "That token is not valid." if token is None else "That token has no read scope."
        if form:
            return _page(target, why, status=401 if token is None else 403)
        raise ApiError(401 if token is None else 403,
                       "unauthorized" if token is None else "forbidden", why)
    response = (redirect(target, status=303) if form else
                json_response({"status": "ok", "name": token.name, "scopes": sorted(token.scopes)}))
    response.add_cookie(COOKIE, secret.strip(), path="/", httponly=True, samesite="Strict",
                        secure=request.scheme == "https", max_age=COOKIE_MAX_AGE)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/logout")
async def logout(request: Request):
    """Forget the cookie; back to the sign-in form."""
    response = redirect("/login", status=303)
    response.delete_cookie(COOKIE, path="/")
    return response
