"""JSON in and out: strict parsing of request bodies, safe encoding of responses."""

from __future__ import annotations

import json
import math
import re
import zlib
from typing import Any

from sanic.request import Request
from sanic.response import HTTPResponse

from .errors import ApiError

__all__ = ["dumps", "json_response", "encoded_response", "read_object", "body_bytes", "LONG_NUMBER"]

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
    return encoded_response(dumps(value), status, headers)


def encoded_response(text: str, status: int = 200, headers: dict | None = None) -> HTTPResponse:
    """An ``application/json`` response of ``text`` that ``dumps`` made already (in a read
    thread, so a large document is not encoded on the event loop)."""
    return HTTPResponse(text, status=status, headers=headers, content_type=_JSON)


#: Text of a JSON number that may not fit 64 bits or a finite float: any shorter
#: integer fits, and a float with at most 18 digits in a row and a 2-digit exponent is
#: below 1e118.
LONG_NUMBER = re.compile(rb"\d{19}|[eE][-+]?\d{3}")

#: ``Content-Encoding`` → the ``zlib`` window bits that undo it.
_DECODERS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


def body_bytes(request: Request) -> bytes:
    """The request body, decompressed if ``Content-Encoding`` is ``gzip`` or ``deflate``.

    The original's daemon gzips its requests. Raises ``ApiError``: 415 for another
    encoding, 400 for a damaged stream, 413 when it inflates past the body size limit.
    """
    raw = request.body or b""
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity") or not raw:
        return raw
    if encoding not in _DECODERS:
        raise ApiError(415, "unsupported_encoding",
                       f"Content-Encoding {encoding!r}: use gzip, deflate or none")
    limit = request.app.config.REQUEST_MAX_SIZE
    inflater = zlib.decompressobj(_DECODERS[encoding])
    try:
        body = inflater.decompress(raw, limit + 1)
    except zlib.error as exc:
        raise ApiError(400, "bad_encoding", f"the {encoding} body is damaged: {exc}") from None
    if len(body) > limit:
        raise ApiError(413, "too_large", f"the body inflates past {limit} bytes")
    if not inflater.eof:
        raise ApiError(400, "bad_encoding", f"the {encoding} body is cut short")
    return body


def read_object(request: Request, required: bool = False) -> dict:
    """The request body as a JSON object; an empty body is ``{}``.

    A compressed body is inflated first (``body_bytes``).
    Raises ``ApiError``: 400 ``bad_json`` for unparsable text, text that is not valid
    UTF-8 or holds a lone surrogate escape (or an empty body when ``required``), 422
    ``invalid`` for JSON that is not an object or is nested too deep.
    A body the validation step parsed already (``request.ctx.json_body``) is reused.
    ``request.ctx.long_numbers`` tells whether the text holds a number the store might not
    hold (19 digits in a row, or a 3-digit exponent); false, ``writes.check_numbers``
    has nothing to find.
    """
    parsed = getattr(request.ctx, "json_body", None)
    if parsed is not None:
        return parsed
    raw = body_bytes(request)
    if not raw or not raw.strip():
        if required:
            raise ApiError(400, "bad_json", "request body must be a JSON object")
        return {}
    request.ctx.long_numbers = LONG_NUMBER.search(raw) is not None
    try:
        value = json.loads(raw, parse_constant=_reject_constant)
    except RecursionError as exc:
        raise ApiError(422, "invalid", "JSON nested too deeply") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "bad_json", f"malformed JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ApiError(422, "invalid", "request body must be a JSON object")
    if _plain_ascii(raw):  # no escape, no other encoding: no surrogate can be in it
        return value
    try:  # a lone surrogate escape ("\\ud800") parses, but is no text: nothing could store it
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ApiError(400, "bad_json", "text must be valid Unicode: "
                       f"{exc.object[exc.start:exc.end]!a} is a lone surrogate") from None
    return value


def _plain_ascii(raw: bytes) -> bool:
    """ASCII text with no ``\\u`` escape: JSON that decodes to no surrogate (UTF-16 and
    UTF-32 bodies, which ``json.loads`` also reads, hold NUL bytes)."""
    return raw.isascii() and b"\\u" not in raw and b"\0" not in raw
