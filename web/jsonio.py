"""JSON in and out: strict parsing of request bodies, safe encoding of responses."""

from __future__ import annotations

import json
import math
from typing import Any

from sanic.request import Request
from sanic.response import HTTPResponse

from .errors import ApiError

__all__ = ["dumps", "json_response", "read_object"]

_JSON = "application/json"


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _fallback(value: Any) -> Any:
    """Encode what msgpack may hold but JSON cannot (bytes, tuples of odd types)."""
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    return repr(value)


def _finite(value: Any) -> Any:
    """``value`` with every NaN/Infinity replaced by ``None`` (JSON has no such numbers)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def dumps(value: Any) -> str:
    """Compact JSON; non-finite floats become ``null`` so the output is always valid."""
    try:
        return json.dumps(value, separators=(",", ":"), allow_nan=False, default=_fallback)
    except ValueError:
        return json.dumps(_finite(value), separators=(",", ":"), default=_fallback)


def json_response(value: Any, status: int = 200, headers: dict | None = None) -> HTTPResponse:
    """An ``application/json`` response."""
    return HTTPResponse(dumps(value), status=status, headers=headers, content_type=_JSON)


def read_object(request: Request, required: bool = False) -> dict:
    """The request body as a JSON object; an empty body is ``{}``.

    Raises ``ApiError``: 400 ``bad_json`` for unparsable text, text that is not valid
    UTF-8 or holds a lone surrogate escape (or an empty body when ``required``), 422
    ``invalid`` for JSON that is not an object or is nested too deep.
    A body the validation step parsed already (``request.ctx.json_body``) is reused.
    """
    parsed = getattr(request.ctx, "json_body", None)
    if parsed is not None:
        return parsed
    raw = request.body
    if not raw or not raw.strip():
        if required:
            raise ApiError(400, "bad_json", "request body must be a JSON object")
        return {}
    try:
        value = json.loads(raw, parse_constant=_reject_constant)
    except RecursionError as exc:
        raise ApiError(422, "invalid", "JSON nested too deeply") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "bad_json", f"malformed JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ApiError(422, "invalid", "request body must be a JSON object")
    try:  # a lone surrogate escape ("\\ud800") parses, but is no text: nothing could store it
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ApiError(400, "bad_json", "text must be valid Unicode: "
                       f"{exc.object[exc.start:exc.end]!a} is a lone surrogate") from None
    return value
