"""``components``: the request and response schemas, error responses, security schemes."""

from __future__ import annotations

from datacat.broker.store import STATUSES
from datacat.protocol import METRIC_TYPES

from .build import nullable, ref

__all__ = ["COMPONENTS"]

_TIME = nullable("string", format="date-time", description="RFC 3339 UTC")
_STR = nullable("string")
_INT = nullable("integer")
_NUM = nullable("number")
_ANY_OBJECT = {"type": "object", "additionalProperties": True}
_IN_TIME = {"anyOf": [nullable("string"), {"type": "number"}],
            "description": "RFC 3339 (no offset: UTC) or epoch seconds; default: the server's time"}
_TAGS = {"nullable": True, "description": 'an object, or the original\'s ["key:value", ...]',
         "anyOf": [{"type": "object", "additionalProperties": {
             "anyOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}]}},
             {"type": "array", "items": {"type": "string"}}]}
#: Names (product, version, event and metric names): what the store accepts as a label.
_LABEL = {"type": "string", "minLength": 1, "maxLength": 256, "pattern": "^[^\\x00-\\x1f]*$",
          "description": "1..256 characters, no control characters"}
_EPISODE = {"type": "object", "properties": {"start": _TIME, "end": _TIME, "cause": _STR}}


def _object(properties: dict, required: tuple = (), **extra) -> dict:
    schema = {"type": "object", "properties": properties, **extra}
    if required:
        schema["required"] = list(required)
    return schema


def _page(item: str, **envelope) -> dict:
    return _object({"items": {"type": "array", "items": ref(item)}, **envelope},
                   ("items", *envelope))


def _with(base: str, **fields) -> dict:
    return {"allOf": [ref(base), _object(fields)]}


_SESSION = _object({
    "id": {"type": "string"}, "product": _STR, "version": _STR,
    "status": {"type": "string", "enum": list(STATUSES)}, "reason": _STR,
    "machine_id": _STR, "hostname": _STR, "pid": _INT, "parent_session_id": _STR,
    "hang_timeout": _NUM, "event_count": _INT, "metric_count": _INT, "history_count": _INT,
    "hang_count": _INT, "suspend_count": _INT,
    **{name: _TIME for name in ("created_at", "updated_at", "ended_at", "last_heartbeat",
                                "received_at")},
    **{flag: {"type": "boolean"} for flag in ("active", "suspended", "crashed", "hung",
                                              "ended", "lost")},
    "tags": _ANY_OBJECT, "hangs": {"type": "array", "items": _EPISODE},
    "suspends": {"type": "array", "items": _EPISODE},
}, ("id", "status", "tags", "hangs"))

_EVENT = _object({
    "seq": _INT, "timestamp": _TIME, "received_at": _TIME, "name": _STR, "level": _STR,
    "category": _STR, "labels": {"type": "array", "items": {}}, "message": _STR,
    "data": {"description": "the event's data object (or null)"},
    "exception": nullable("object", description="{type, message, stacktrace, file, line, function}"),
})

_METRIC_POINT = _object({
    "timestamp": _TIME, "name": _STR, "type": _STR, "unit": _STR, "count": _INT,
    "sum": _NUM, "min": _NUM, "max": _NUM, "last": _NUM, "value": _NUM,
    "buckets": nullable("array", items={}, description="cumulative [le, count] pairs"),
    "tags": _ANY_OBJECT, "metadata": _ANY_OBJECT,
})

_HEALTH = ("hung_sessions", "machines", "crashed_machines", "hung_machines")
_RATES = ("crash_free_sessions", "crash_free_machines", "hang_free_sessions",
          "hang_free_machines")
_FIGURES = {"count": {"type": "integer", "description": "exception events"},
            "sessions": {"type": "integer"}, "machines": {"type": "integer"},
            "first_seen": _TIME, "last_seen": _TIME}
_ISSUE = _object({
    "fingerprint": {"type": "string"}, "type": {"type": "string"}, "message": {"type": "string"},
    **_FIGURES,
    "first_version": {"type": "object", "additionalProperties": {"type": "string"},
                      "description": "product -> the first version the issue was seen in"},
    "versions": {"type": "array", "items": _object({
        "product": {"type": "string"}, "version": {"type": "string"}, **_FIGURES,
        "status": nullable("string", enum=["new", "regressed", "ongoing"])})},
    "slice_sessions": {"type": "integer", "description": "its sessions in the slice (sliced "
                                                         "answers only)"}},
    ("fingerprint", "type", "message", "count", "sessions", "machines", "first_version",
     "versions"))
#: What a sliced answer adds (``tag``, ``state``, ``machine`` given).
_SLICED = {"slice": _object({"tag": {"type": "array", "items": {"type": "string"}},
                             "state": {"type": "array", "items": {"type": "string"}},
                             "machine": _STR}),
           "examined": {"type": "integer", "description": "sessions examined for the slice"},
           "sampled": {"type": "boolean",
                       "description": "true: the cap on sessions examined was reached"}}

SCHEMAS = {
    "Error": _object({"error": {"type": "string"}, "detail": {"type": "string"}},
                     ("error", "detail")),
    "Ok": _object({"status": {"type": "string", "enum": ["ok"]}}, ("status",)),
    "Health": _object({"status": {"type": "string"}, "service": {"type": "string"},
                       "version": {"type": "string"}}, ("status", "service", "version")),
    "Session": _SESSION,
    "SessionWithState": _with("Session", state=_ANY_OBJECT),
    "FullSession": _with(
        "SessionWithState",
        state_history={"type": "array", "items": _object({"timestamp": _TIME, "state": _ANY_OBJECT})},
        events={"type": "array", "items": ref("CompatEvent")}, events_truncated={"type": "boolean"},
        metrics={"type": "array", "items": ref("CompatMetric")}, metrics_truncated={"type": "boolean"}),
    "Event": _EVENT,
    "CompatEvent": _with("Event", group=_STR, exception_type={}, exception_msg={},
                         stacktrace={}, source_file={}, source_line={}, source_function={}),
    "MetricPoint": _METRIC_POINT,
    "CompatMetric": _object({**_METRIC_POINT["properties"], "value": {"type": "number"},
                             "tags": {"type": "array", "items": {"type": "string"},
                                      "description": "sorted \"key:value\" strings"}}),
    "HistoryEntry": _object({"index": {"type": "integer"}, "timestamp": _TIME,
                             "patch": _ANY_OBJECT}),
    "SessionPage": _page("Session", next_cursor=_STR),
    "EventPage": _page("Event", next=_INT, total={"type": "integer"}),
    "MetricPage": _page("MetricPoint", next=_INT, total={"type": "integer"}),
    "HistoryPage": _page("HistoryEntry", next=_INT, total={"type": "integer"}),
    "StateAt": _object({"at": _TIME, "state": _ANY_OBJECT}, ("at", "state")),
    "Products": _object({"items": {"type": "array", "items": ref("ProductRollup")}, **_SLICED},
                        ("items",)),
    "Issue": _ISSUE,
    "IssuePage": _object({"items": {"type": "array", "items": ref("Issue")},
                          "next_cursor": _STR, **_SLICED}, ("items", "next_cursor")),
    "IssueDetail": _with(
        "Issue",
        samples={"type": "array", "items": _object({
            "session_id": {"type": "string"}, "seq": {"type": "integer"},
            "event": {"allOf": [ref("Event")], "nullable": True}})},
        affected_sessions={"type": "array", "items": ref("Session")}, **_SLICED),
    "Stats": _object({
        "daemons": {"type": "array", "items": _ANY_OBJECT,
                    "description": "each daemon's last report: id, host, last_seen, watching "
                                   "(count), stats"},
        "workers": {"type": "array", "items": _ANY_OBJECT,
                    "description": "each ingest worker's last report: id, host, pid, "
                                   "last_seen, lag, counters"},
        "broker": {"type": "object", "nullable": True, "additionalProperties": True,
                   "description": "the broker's counters, when web.broker_stats is set"}},
        ("daemons", "workers", "broker")),
    "ProductRollup": _object({"product": {"type": "string"}, "version": {"type": "string"},
                              "total": {"type": "integer"},
                              "by_status": {"type": "object",
                                            "additionalProperties": {"type": "integer"}},
                              **{name: {"type": "integer"} for name in _HEALTH},
                              **{name: {**_NUM, "minimum": 0, "maximum": 1} for name in _RATES},
                              "median_seconds": {**_NUM, "description": "sliced answers only"},
                              "hang_episodes": {"type": "integer"},
                              "first_seen": {**_NUM, "description": "the earliest created_at"},
                              "median_duration": {**_NUM, "description":
                                                  "seconds, over its ended sessions, within 1 %"}},
                             ("product", "version", "total", "by_status", *_HEALTH, *_RATES)),
    "Series": _object({"metric": {"type": "string"}, "from": _TIME, "to": _TIME,
                       "step": {"type": "number"},
                       "sampled": {"type": "boolean", "description":
                                   "the sessions read were cut at 20,000 (fine steps, slices)"},
                       "columns": {"type": "array", "items": {"type": "string"}},
                       "rows": {"type": "array", "items": _object(
                           {"time": _TIME}, ("time",),
                           additionalProperties=nullable("number"))}},
                      ("metric", "step", "columns", "rows")),
    "Annotation": _object({
        "time": {"type": "integer", "description": "epoch milliseconds"}, "timeEnd": _INT,
        "kind": {"type": "string", "enum": ["crash", "hang", "release"]},
        "title": {"type": "string"}, "text": {"type": "string"},
        "tags": {"type": "array", "items": _STR}, "timestamp": _TIME, "session_id": _STR,
        "product": _STR, "version": _STR}, ("time", "kind", "title", "text", "tags")),
    "Login": _object({"status": {"type": "string"}, "name": {"type": "string"},
                      "scopes": {"type": "array", "items": {"type": "string"}}}, ("status",)),
    # request bodies
    "CreateSession": _object({
        "product": _LABEL, "version": _LABEL, "machine_id": _STR,
        "hostname": _STR, "parent_session_id": _STR, "pid": _INT, "hang_timeout": _NUM,
        "tags": _TAGS}, ("product", "version")),
    "StateIn": {**_ANY_OBJECT, "description": 'a bare state patch, or {"state": {...}, '
                '"timestamp": ...}; deep-merged (null deletes a key)'},
    "EventIn": _object({
        "name": _LABEL, "level": _STR,
        "category": {**_STR, "description": "the original's severity (level wins if both)"},
        "group": _STR, "labels": nullable("array", items={"type": "string"}), "message": _STR,
        "data": nullable("object"), "stacktrace": nullable("array", items={"type": "string"}),
        "exception_type": _STR, "exception_msg": _STR, "source_file": _STR,
        "source_line": _INT, "source_function": _STR, "timestamp": _IN_TIME}, ("name",)),
    "MetricIn": _object({
        "name": _LABEL, "value": {"type": "number"},
        "type": nullable("string", enum=sorted(METRIC_TYPES)), "unit": _STR,
        "count": nullable("integer", minimum=1), "tags": _TAGS, "metadata": nullable("object"),
        "timestamp": _IN_TIME}, ("name", "value")),
    "CrashIn": _object({"reason": _STR}),
    "Empty": {**_ANY_OBJECT, "description": "ignored; may be absent"},
    "LoginIn": _object({"token": {"type": "string"}, "next": {"type": "string"}}, ("token",)),
}


def _error(description: str, headers: dict | None = None) -> dict:
    response = {"description": description,
                "content": {"application/json": {"schema": ref("Error")}}}
    if headers:
        response["headers"] = headers
    return response


_RETRY = {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds to wait"}}

COMPONENTS = {
    "schemas": SCHEMAS,
    "responses": {
        "BadRequest": _error("unparsable JSON or text that is not valid Unicode (bad_json), "
                             "a required field missing (missing_field), a bad query "
                             "parameter (bad_parameter), a damaged compressed body "
                             "(bad_encoding) or a malformed Idempotency-Key (bad_header)"),
        "Unauthorized": _error("no token, or not a valid one"),
        "Forbidden": _error("the token lacks the scope this route needs"),
        "NotFound": _error("no such session"),
        "TooLarge": _error("the body is over the size limit (or inflates past it)"),
        "UnsupportedEncoding": _error("a Content-Encoding other than gzip, deflate or none"),
        "Invalid": _error("valid JSON that is not valid data; detail names the field "
                          "(invalid), or an Idempotency-Key used for another request "
                          "(idempotency_mismatch)"),
        "RateLimited": _error("too many failed attempts from this address", _RETRY),
        "Unavailable": _error("the session index is still being built, or a store read "
                              "passed its deadline (error timeout)", _RETRY),
    },
    "securitySchemes": {
        "bearer": {"type": "http", "scheme": "bearer",
                   "description": "an API token (datacat tokens create); scopes read, write, admin"},
        "cookie": {"type": "apiKey", "in": "cookie", "name": "datacat_token",
                   "description": "set by POST /login; accepted for GET and HEAD only"},
    },
}
