"""``create_app(settings)``: the Sanic app, its blueprints, store and error handling."""

from __future__ import annotations

import asyncio
import logging

from sanic import Sanic
from sanic.request import Request

from datacat.broker.store import open_store

from . import heap, offload, validation
from .auth import setup_auth
from .dashboard import BLUEPRINTS as DASHBOARD
from .dashboard import PLOTLY_JS, STATIC_DIR
from .errors import ApiError, describe
from .group_commit import GroupCommit
from .jsonio import dumps, json_response
from .metrics import Metrics
from .routes import BLUEPRINTS
from .safe_store import SafeStore
from .settings import WebSettings

__all__ = ["create_app"]

log = logging.getLogger("datacat.web")


def create_app(settings: WebSettings) -> Sanic:
    """A Sanic app serving DataCat's REST API from the store ``settings.store_url`` names.

    The store is opened before the server starts and closed after it stops; it is
    ``app.ctx.store`` in between, wrapped so its reads come back well typed (``SafeStore``);
    REST writes go through ``app.ctx.commit`` (``GroupCommit``), stopped before the store closes.
    Every error is answered as ``{error, detail}`` JSON.
    Raises ``ValueError`` when ``settings.host`` is not loopback and no API token exists.
    """
    app = Sanic(settings.name, dumps=dumps)
    app.config.AUTO_EXTEND = False  # an installed sanic-ext must not add routes or CORS
    app.ctx.metrics = Metrics()
    setup_auth(app, settings, on_failure=app.ctx.metrics.count_auth_failure)
    validation.install(app)
    offload.install(app, settings.read_threads, settings.read_timeout)
    heap.install(app)
    app.config.REQUEST_MAX_SIZE = settings.max_body_bytes
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.ctx.settings = settings
    for blueprint in BLUEPRINTS + DASHBOARD:
        app.blueprint(blueprint)
    app.static("/static", STATIC_DIR, name="dashboard_static")
    app.static("/vendor/plotly.min.js", PLOTLY_JS, name="plotly_js")

    @app.before_server_start
    async def _open_store(app: Sanic, _loop=None) -> None:
        app.ctx.store = SafeStore(open_store(settings.store_url, reader=True))
        app.ctx.commit = GroupCommit(app.ctx.store, asyncio.get_running_loop())

    @app.after_server_stop
    async def _close_store(app: Sanic, _loop=None) -> None:
        commit = getattr(app.ctx, "commit", None)
        if commit is not None:
            commit.close()  # the writes still queued first
        store = getattr(app.ctx, "store", None)
        if store is not None:
            store.close()
            app.ctx.store = None

    @app.exception(Exception)
    async def _error(request: Request, exc: Exception):
        status, body, headers = describe(exc)
        if isinstance(exc, ApiError) and status >= 500:  # expected (a read's deadline): one line
            log.warning("%s %s: %s %s", request.method, request.path, status, exc.detail)
        elif status >= 500:
            log.error("unhandled error on %s %s", request.method, request.path, exc_info=exc)
        return json_response(body, status=status, headers=headers)

    return app
