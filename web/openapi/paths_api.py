"""Paths of the REST API: the original's ``/api/...`` and our ``/api/v1/...``."""

from __future__ import annotations

from datacat.broker.store import STATUSES

from ..idempotency import HEADER
from ..issue_list import RELEASE_STATUSES, SORTS
from ..params import MAX_PAGE
from ..routes.v1_sessions import MAX_STREAM_PAGE
from .build import SID, SLICE, json_body, json_ok, op, param, query, ref, time_query

__all__ = ["API_PATHS"]

_LIMIT = query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
               f"page size (1..{MAX_PAGE})")
_FILTERS = [query("product", {"type": "string"}, "only this product"),
            query("version", {"type": "string"}, "only this version"),
            query("status", {"type": "string", "enum": list(STATUSES)}, "only this status"),
            time_query("since", "created at or after"), time_query("until", "created at or before"),
            query("cursor", {"type": "string"}, "next_cursor of the previous page")]
_STREAM = [SID, query("start", {"type": "integer", "minimum": 0, "maximum": 2**62},
                      "0-based position of the first item"),
           query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_STREAM_PAGE},
                 f"page size (1..{MAX_STREAM_PAGE}, default 100)")]
_ISSUE_FILTERS = [
    query("product", {"type": "string"}, "figures of this product only"),
    query("version", {"type": "string"}, "figures of this version of the product only"),
    query("status", {"type": "string", "enum": list(RELEASE_STATUSES)},
          "only issues with this release status in that version (needs product and version)"),
    time_query("since", "last seen at or after"), time_query("until", "first seen at or before"),
    query("sort", {"type": "string", "enum": list(SORTS)}, "largest first (default count)"),
    _LIMIT, query("cursor", {"type": "string"}, "next_cursor of the previous page"), *SLICE]
_OK = {"200": json_ok(ref("Ok"))}
_WRITE_ERRORS = (400, 404, 413, 415, 422)
_KEY = param(HEADER, "header", {"type": "string", "minLength": 1, "maxLength": 255},
             "any unique string (a UUID): a retry with the same key within 24 h gets the "
             "first answer and writes nothing")


def _write(summary: str, schema: str, required: bool = True) -> dict:
    return {"post": op("sessions (original)", summary, _OK, params=[SID, _KEY],
                       body=json_body(ref(schema), required=required), errors=_WRITE_ERRORS)}


_EXPORT = {"get": op(
    "sessions (original)", "Every matching session with its state, newest first", {
        "200": json_ok({"type": "array", "items": ref("SessionWithState")}, headers={
            "X-Next-Cursor": {"schema": {"type": "string"},
                              "description": "with limit: the cursor of the next page"}})},
    params=[*_FILTERS, _LIMIT], errors=(400, 503),
    description="Without limit the whole set is streamed; with limit one page is returned.")}

API_PATHS = {
    "/api/sessions": {"post": op(
        "sessions (original)", "Create a session", {
            "200": json_ok({"type": "object", "required": ["session_id"],
                            "properties": {"session_id": {"type": "string"}}})},
        params=[_KEY], body=json_body(ref("CreateSession"), required=False),
        errors=(400, 413, 415, 422))},
    "/api/sessions/{sid}": {"get": op(
        "sessions (original)", "A session with state, state history, events and metrics",
        {"200": json_ok(ref("FullSession"))}, params=[SID], errors=(404, 503))},
    "/api/sessions/{sid}/state": _write("Deep-merge a state patch", "StateIn"),
    "/api/sessions/{sid}/events": _write("Log an event", "EventIn"),
    "/api/sessions/{sid}/metrics": _write("Record a metric sample", "MetricIn"),
    "/api/sessions/{sid}/heartbeat": _write("Heartbeat at the server's time", "Empty", False),
    "/api/sessions/{sid}/end": _write("End the session cleanly", "Empty", False),
    "/api/sessions/{sid}/crash": _write("Mark the session crashed", "CrashIn", False),
    "/api/data/sessions": _EXPORT,
    "/api/grafana/sessions": _EXPORT,
    "/api/v1/sessions": {"get": op(
        "sessions", "Sessions, filtered and cursor-paged, newest first",
        {"200": json_ok(ref("SessionPage"))}, params=[*_FILTERS, _LIMIT], errors=(400, 503))},
    "/api/v1/sessions/{sid}": {"get": op(
        "sessions", "A session with its current state", {"200": json_ok(ref("SessionWithState"))},
        params=[SID], errors=(404, 503))},
    "/api/v1/sessions/{sid}/events": {"get": op(
        "sessions", "A page of events, oldest first", {"200": json_ok(ref("EventPage"))},
        params=_STREAM, errors=(400, 404, 503))},
    "/api/v1/sessions/{sid}/metrics": {"get": op(
        "sessions", "A page of metric points", {"200": json_ok(ref("MetricPage"))},
        params=_STREAM, errors=(400, 404, 503))},
    "/api/v1/sessions/{sid}/state/history": {"get": op(
        "sessions", "A page of state patches", {"200": json_ok(ref("HistoryPage"))},
        params=_STREAM, errors=(400, 404, 503))},
    "/api/v1/sessions/{sid}/state": {"get": op(
        "sessions", "The current state, or the state at a time", {"200": json_ok(ref("StateAt"))},
        params=[SID, time_query("at", "the state as it was at")], errors=(400, 404, 503))},
    "/api/v1/products": {"get": op(
        "products", "Session counts per product and version, by status",
        {"200": json_ok(ref("Products"))},
        params=[query("product", {"type": "string"}, "only this product"),
                query("version", {"type": "string"}, "only this version (needs product)"),
                *SLICE], errors=(400, 503))},
    "/api/v1/issues": {"get": op(
        "issues", "Exceptions grouped into issues, largest first, cursor-paged",
        {"200": json_ok(ref("IssuePage"))}, params=_ISSUE_FILTERS, errors=(400, 503))},
    "/api/v1/issues/{fingerprint}": {"get": op(
        "issues", "An issue: figures per version, sample events, its first sessions",
        {"200": json_ok(ref("IssueDetail"))},
        params=[param("fingerprint", "path", {"type": "string"}, "the issue's fingerprint"),
                *SLICE], errors=(400, 404, 503))},
    "/api/v1/stats": {"get": op(
        "operations", "The pipeline's own counters: daemons, broker, ingest workers",
        {"200": json_ok(ref("Stats"))}, errors=(503,))},
}
