"""The OpenAPI 3.0 document of every REST route, written by hand (``spec()``).

It is served at ``/openapi.json`` and is the schema request bodies are validated
against (``datacat.web.validation``). A test checks it covers every route of the app.
"""

from __future__ import annotations

import copy
from functools import lru_cache

from ..routes.health import VERSION
from .paths_api import API_PATHS
from .paths_ops import OPS_PATHS
from .schemas import COMPONENTS

__all__ = ["spec"]

_DESCRIPTION = """Session telemetry: the original DataCat's routes under `/api/...` and ours
under `/api/v1/...`. Times in responses are RFC 3339 UTC; errors are `{error, detail}`.
When the server has API tokens, every route but `/health`, `/login` and `/logout` needs
one: `read` for GET, `write` for the rest (`admin` has both)."""


@lru_cache(maxsize=1)
def _spec() -> dict:
    return {
        "openapi": "3.0.3",
        "info": {"title": "DataCat", "version": VERSION, "description": _DESCRIPTION,
                 "license": {"name": "MIT"}},
        "paths": {**OPS_PATHS, **API_PATHS},
        "components": COMPONENTS,
        "security": [{"bearer": []}, {"cookie": []}],
        "tags": [{"name": n} for n in ("sessions (original)", "sessions", "products", "grafana",
                                       "operations", "auth")],
    }


def spec() -> dict:
    """A fresh copy of the document (callers may change it)."""
    return copy.deepcopy(_spec())
