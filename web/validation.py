"""Request bodies checked against the OpenAPI document before a handler runs.

A required field that is absent, null or ``""`` is ``400 missing_field`` (as the original
answered); anything else that breaks the schema is ``422 invalid`` naming the field.
The parsed body is kept in ``request.ctx.json_body`` so ``read_object`` does not parse twice.
A body is accepted by the schema compiled to Python (``fastjsonschema``, about a
microsecond); one it refuses is checked again by ``jsonschema``, which names the error
(and has the last word).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import fastjsonschema
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from sanic import Sanic
from sanic.request import Request

from .errors import ApiError
from .jsonio import read_object
from .openapi import spec

__all__ = ["to_json_schema", "BodyRule", "body_rule", "check_body", "openapi_path", "install"]

_PARAM = re.compile(r"<([A-Za-z_]\w*)(?::[^>]*)?>")
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def to_json_schema(node):
    """An OpenAPI 3.0 schema as JSON Schema: ``nullable: true`` becomes a ``null`` type."""
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: to_json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        for key in ("anyOf", "oneOf"):
            if key in out:
                out[key] = [*out[key], {"type": "null"}]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


@dataclass(frozen=True)
class BodyRule:
    """How one operation's JSON body is checked."""

    validator: Draft202012Validator
    accepts: Callable[[dict], object]  # raises fastjsonschema.JsonSchemaException if not valid
    required: bool  # whether a body must be sent at all
    fields: tuple  # top-level fields that must be present, not null and not ""
    form: bool  # a form body is also accepted (then it is the handler's to check)


def _resolve(document: dict, schema: dict) -> dict:
    target = schema.get("$ref", "")
    if not target:
        return schema
    node = document
    for part in target.removeprefix("#/").split("/"):
        node = node[part]
    return node


@cache
def body_rule(path: str, method: str) -> BodyRule | None:
    """The ``BodyRule`` of an operation with a JSON request body, or ``None``."""
    document = spec()
    body = document["paths"].get(path, {}).get(method.lower(), {}).get("requestBody")
    if not body or "application/json" not in body["content"]:
        return None
    schema = body["content"]["application/json"]["schema"]
    fields = tuple(_resolve(document, schema).get("required") or ())
    rooted = to_json_schema({**schema, "components": document["components"]})
    return BodyRule(Draft202012Validator(rooted), fastjsonschema.compile(rooted),
                    bool(body.get("required")), fields,
                    any(kind.startswith(_FORMS) for kind in body["content"]))


_ARTICLES = {"string": "a string", "integer": "an integer", "number": "a number",
             "object": "an object", "array": "an array", "boolean": "a boolean", "null": "null"}


def _path(parts) -> str:
    """``["labels", 1]`` → ``labels[1]``."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _describe(error: ValidationError) -> ApiError:
    path = _path(error.absolute_path)
    where = path or "body"
    if error.validator == "required":
        missing = next(f for f in error.validator_value if f not in error.instance)
        return ApiError(400, "missing_field", f"{(path + '.') if path else ''}{missing} is required")
    if error.validator == "type":
        kinds = error.validator_value
        kinds = kinds if isinstance(kinds, list) else [kinds]
        return ApiError(422, "invalid", f"{where} must be "
                        + " or ".join(_ARTICLES.get(kind, kind) for kind in kinds))
    if error.validator in ("anyOf", "oneOf"):
        return ApiError(422, "invalid", f"{where} has the wrong type or shape")
    if error.validator == "enum":
        choices = ", ".join(str(choice) for choice in error.validator_value if choice is not None)
        return ApiError(422, "invalid", f"{where} must be one of {choices}")
    if error.validator in ("minLength", "maxLength", "minimum", "maximum"):
        bound = "at least" if error.validator.startswith("min") else "at most"
        unit = " characters" if error.validator.endswith("Length") else ""
        return ApiError(422, "invalid", f"{where} must be {bound} {error.validator_value}{unit}")
    if error.validator == "pattern":
        return ApiError(422, "invalid", f"{where} must not contain control characters")
    return ApiError(422, "invalid", f"{where}: {error.message[:200]}")


def check_body(body: dict, rule: BodyRule) -> None:
    """Raise the ``ApiError`` for a missing field, or the most relevant schema violation."""
    for field in rule.fields:
        if body.get(field) in (None, ""):  # the original's rule: empty is missing
            raise ApiError(400, "missing_field", f"{field} is required")
    try:
        rule.accepts(body)
        return
    except fastjsonschema.JsonSchemaException:
        pass
    error = best_match(rule.validator.iter_errors(body))
    if error is not None:
        raise _describe(error)


def openapi_path(route_path: str) -> str:
    """A Sanic route path (``api/sessions/<sid:str>``) as an OpenAPI path (``/api/sessions/{sid}``)."""
    return "/" + _PARAM.sub(r"{\1}", route_path).strip("/")


@cache
def _route_rule(route_path: str, method: str) -> BodyRule | None:
    return body_rule(openapi_path(route_path), method)


async def _validate(request: Request, **_):
    route = request.route
    rule = None if route is None else _route_rule(route.path, request.method)
    if rule is None or (rule.form and request.headers.get("content-type", "").startswith(_FORMS)):
        return
    body = read_object(request, required=rule.required)
    check_body(body, rule)
    request.ctx.json_body = body


def install(app: Sanic) -> None:
    """Validate JSON bodies on every route the document gives one.

    On the ``http.handler.before`` signal: after the auth guard and the body's arrival,
    and never on the error path (where Sanic re-runs request middleware without a body).
    """
    app.add_signal(_validate, "http.handler.before")
