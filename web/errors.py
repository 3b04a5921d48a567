"""API errors, and how any exception maps to a status and a ``{error, detail}`` body."""

from __future__ import annotations

from sanic.exceptions import SanicException

from datacat.broker.errors import InvalidBatch

__all__ = ["ApiError", "describe"]

#: Short error codes for the statuses Sanic raises itself.
_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 408: "timeout", 413: "too_large", 429: "too_many_requests",
          503: "unavailable"}
_INTERNAL = "internal server error (details are in the server log)"


class ApiError(Exception):
    """A client error with its HTTP status, short ``code``, human ``detail`` and headers."""

    def __init__(self, status: int, code: str, detail: str, headers: dict | None = None):
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers or {}


def describe(exc: BaseException) -> tuple[int, dict, dict]:
    """``(status, body, headers)`` for ``exc``; a 5xx body never carries the exception text."""
    if isinstance(exc, ApiError):
        return exc.status, {"error": exc.code, "detail": exc.detail}, dict(exc.headers)
    if isinstance(exc, InvalidBatch):
        return 422, {"error": "invalid", "detail": exc.detail or exc.reason}, {}
    if isinstance(exc, SanicException) and exc.status_code < 500:
        status = exc.status_code
        body = {"error": _CODES.get(status, "client_error"), "detail": str(exc) or "bad request"}
        return status, body, dict(getattr(exc, "headers", None) or {})
    return 500, {"error": "internal", "detail": _INTERNAL}, {}
