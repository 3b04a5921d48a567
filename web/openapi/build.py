"""Small builders for OpenAPI 3.0 operations, so the path modules read like a table."""

from __future__ import annotations

__all__ = ["ref", "nullable", "op", "json_body", "json_ok", "param", "query", "SID", "time_query",
           "SLICE"]

#: Error responses every guarded operation may give (auth and rate limit).
_GUARDED = {"401": {"$ref": "#/components/responses/Unauthorized"},
            "403": {"$ref": "#/components/responses/Forbidden"},
            "429": {"$ref": "#/components/responses/RateLimited"}}
_ERRORS = {400: "BadRequest", 404: "NotFound", 413: "TooLarge", 415: "UnsupportedEncoding",
           422: "Invalid", 503: "Unavailable"}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(kind: str, **extra) -> dict:
    return {"type": kind, "nullable": True, **extra}


def json_ok(schema: dict, description: str = "OK", headers: dict | None = None) -> dict:
    response = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


def json_body(schema: dict, required: bool = True, form: dict | None = None) -> dict:
    content = {"application/json": {"schema": schema}}
    if form is not None:
        content["application/x-www-form-urlencoded"] = {"schema": form}
    return {"required": required, "content": content}


def param(name: str, where: str, schema: dict, description: str, required: bool = False) -> dict:
    return {"name": name, "in": where, "required": required or where == "path",
            "schema": schema, "description": description}


def query(name: str, schema: dict, description: str) -> dict:
    return param(name, "query", schema, description)


def time_query(name: str, description: str) -> dict:
    return query(name, {"type": "string"},
                 f"{description}: an RFC 3339 time or epoch seconds (not milliseconds)")


#: The ``{sid}`` path parameter.
SID = param("sid", "path", {"type": "string"}, "session id (a UUIDv7 string)")


def op(tag: str, summary: str, responses: dict, *, params: list | None = None,
       body: dict | None = None, errors: tuple = (), guarded: bool = True,
       description: str | None = None) -> dict:
    """One operation; ``errors`` are status codes answered with the ``Error`` body."""
    operation = {"tags": [tag], "summary": summary, "responses": dict(responses)}
    if description:
        operation["description"] = description
    if params:
        operation["parameters"] = params
    if body is not None:
        operation["requestBody"] = body
    for status in errors:
        operation["responses"][str(status)] = {"$ref": f"#/components/responses/{_ERRORS[status]}"}
    if guarded:
        operation["responses"].update(_GUARDED)
    else:
        operation["security"] = []
    return operation


#: The slice parameters (``web.slicing``) of every answer that takes them.
SLICE = [query("tag", {"type": "array", "items": {"type": "string"}},
               "sessions with this tag: key:value, or a tag name (repeatable; all must hold)"),
         query("state", {"type": "array", "items": {"type": "string"}},
               "sessions whose current state matches key.path=value, or has key.path "
               "(repeatable)"),
         query("machine", {"type": "string"}, "sessions of this machine_id")]
