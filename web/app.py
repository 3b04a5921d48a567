"""``create_app(settings)``: the Sanic app, its blueprints, store and error handling."""

from __future__ import annotations

import logging

from sanic import Sanic
from sanic.request import Request

from datacat.broker.store import open_store

from .errors import describe
from .jsonio import dumps, json_response
from .routes import BLUEPRINTS
from .settings import WebSettings

__all__ = ["create_app"]

log = logging.getLogger("datacat.web")


def create_app(settings: WebSettings) -> Sanic:
    """A Sanic app serving DataCat's REST API from the store ``settings.store_url`` names.

    The store is opened before the server starts and closed after it stops; it is
    ``app.ctx.store`` in between. Every error is answered as ``{error, detail}`` JSON.
    """
    app = Sanic(settings.name, dumps=dumps)
    app.config.REQUEST_MAX_SIZE = settings.max_body_bytes
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.ctx.settings = settings
    for blueprint in BLUEPRINTS:
        app.blueprint(blueprint)

    @app.before_server_start
    async def _open_store(app: Sanic, _loop=None) -> None:
        app.ctx.store = open_store(settings.store_url)

    @app.after_server_stop
    async def _close_store(app: Sanic, _loop=None) -> None:
        store = getattr(app.ctx, "store", None)
        if store is not None:
            store.close()
            app.ctx.store = None

    @app.exception(Exception)
    async def _error(request: Request, exc: Exception):
        status, body, headers = describe(exc)
        if status >= 500:
            log.error("unhandled error on %s %s", request.method, request.path, exc_info=exc)
        return json_response(body, status=status, headers=headers)

    return app
