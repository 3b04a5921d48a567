"""Paths around the API: health, Prometheus, Grafana JSON, login, the document itself."""

from __future__ import annotations

from ..insights.annotations import KINDS
from ..insights.series import METRICS
from ..routes.v1_insights import MAX_ANNOTATIONS
from .build import SLICE, json_body, json_ok, op, query, ref, time_query

__all__ = ["OPS_PATHS"]

_HTML = {"text/html": {"schema": {"type": "string"}}}
_SEE_OTHER = {"303": {"description": "redirect (Location)"}}
_RANGE = [time_query("from", "range start (default: a day before to)"),
          time_query("to", "range end (default: now)"),
          query("product", {"type": "string"}, "only this product"),
          query("version", {"type": "string"}, "only this version")]

OPS_PATHS = {
    "/health": {"get": op("operations", "Liveness", {"200": json_ok(ref("Health"))},
                          guarded=False)},
    "/metrics": {"get": op(
        "operations", "Prometheus metrics", {"200": {
            "description": "the Prometheus text format (OpenMetrics when the Accept header asks)",
            "content": {"text/plain": {"schema": {"type": "string"}}}}}, errors=(503,),
        description="Sessions by status, crash-free and hang-free rates, hang episodes per "
                    "product and version; daemon, ingest worker and broker counters; the web "
                    "process's own. Every metric: docs/metrics.md.")},
    "/api/v1/series": {"get": op(
        "grafana", "A time series of sessions bucketed by start time",
        {"200": json_ok(ref("Series"))}, errors=(400, 503), params=[
            query("metric", {"type": "string", "enum": list(METRICS)}, "which series"),
            *_RANGE, query("step", {"type": "string"},
                           "bucket width: seconds or 30s, 5m, 1h, 1d, 1w (default: automatic)"),
            *SLICE])},
    "/api/v1/annotations": {"get": op(
        "grafana", "Crashes, hang episodes and releases within a range",
        {"200": json_ok({"type": "array", "items": ref("Annotation")})}, errors=(400, 503),
        params=[*_RANGE, query("kind", {"type": "string"},
                               f"comma-separated subset of {', '.join(KINDS)} (default: all)"),
                query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_ANNOTATIONS},
                      "most annotations (the latest are kept)"), *SLICE])},
    "/login": {
        "get": op("auth", "The sign-in form", {"200": {"description": "HTML", "content": _HTML},
                                               **_SEE_OTHER}, guarded=False,
                  params=[query("next", {"type": "string"}, "where to go after signing in")]),
        "post": op("auth", "Sign in: keep a token in an HTTP-only cookie", {
            "200": json_ok(ref("Login")), **_SEE_OTHER,
            "401": {"description": "not a valid token", "content": {
                **_HTML, "application/json": {"schema": ref("Error")}}},
            "403": {"description": "the token lacks read, or a cross-site form", "content": {
                **_HTML, "application/json": {"schema": ref("Error")}}},
            "429": {"$ref": "#/components/responses/RateLimited"}},
            body=json_body(ref("LoginIn"), form=ref("LoginIn")), errors=(400, 413, 422),
            guarded=False, description="A form answers with a redirect to next; JSON with "
                                       "the token's name and scopes.")},
    "/logout": {"post": op("auth", "Forget the login cookie", _SEE_OTHER, guarded=False)},
    "/openapi.json": {"get": op("operations", "This document",
                                {"200": json_ok({"type": "object"})})},
    "/docs": {"get": op("operations", "Interactive API documentation (Swagger UI)",
                        {"200": {"description": "HTML", "content": _HTML}})},
}
