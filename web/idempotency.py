"""REST ``Idempotency-Key``: a retried write gets the first answer and writes nothing.

The key and the answer are stored in the session's one atomic step with the write (see
``SessionTxn.put_idempotent``), so they commit together: a retry finds either both or
neither, from any web process, for ``IDEMPOTENCY_TTL`` (24 h). A session created with a key
gets an id made from the key (``session_id``), so its retry names the same session. Only successful writes
are recorded; a request that failed wrote nothing, so its retry simply runs again.
The same key with another method, path or body is ``422 idempotency_mismatch``.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable

from sanic.request import Request
from sanic.response import HTTPResponse

from datacat.broker.store import SessionTxn

from .errors import ApiError
from .jsonio import json_response

__all__ = ["HEADER", "REPLAYED", "Replay", "Guard", "guard_of"]

HEADER = "Idempotency-Key"
#: Response header set on an answer that was replayed rather than written.
REPLAYED = "Idempotent-Replayed"
_MAX_KEY = 255


class Replay(Exception):
    """Raised inside the session's step: the key was used before (nothing is written)."""

    def __init__(self, answer: dict):
        super().__init__("idempotent replay")
        self.answer = answer


class Guard:
    """One request's key: ``before_write`` for ``apply``, and the replayed response."""

    def __init__(self, key: str, fingerprint: str):
        self.key = key
        self.fingerprint = fingerprint

    def session_id(self) -> str:
        """The id of a session created with this key: the same for every retry."""
        digest = hashlib.sha256(f"datacat idempotent session\n{self.key}".encode()).digest()
        return str(uuid.UUID(bytes=digest[:16], version=4))

    def before_write(self, body: dict, status: int = 200) -> Callable[[SessionTxn], None]:
        """For ``apply(before_write=...)``: replay a stored answer, else store this one."""
        now = time.time()

        def check_and_record(txn: SessionTxn) -> None:
            prior = txn.get_idempotent(self.key, now)
            if prior is not None:
                raise Replay(prior)
            txn.put_idempotent(self.key, {"fp": self.fingerprint, "status": status,
                                          "body": body}, now)

        return check_and_record

    def replay(self, answer: dict) -> HTTPResponse:
        """The first answer again; 422 if the key came with another request then."""
        if answer.get("fp") != self.fingerprint:
            raise ApiError(422, "idempotency_mismatch",
                           f"{HEADER} {self.key!r} was used for another request")
        return json_response(answer["body"], status=answer["status"], headers={REPLAYED: "true"})


def guard_of(request: Request) -> Guard | None:
    """The request's ``Guard``, ``None`` without the header; 400 for a malformed key."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not 0 < len(key) <= _MAX_KEY or not key.isascii() or not key.isprintable():
        raise ApiError(400, "bad_header",
                       f"{HEADER} must be 1..{_MAX_KEY} printable ASCII characters")
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(request.body or b"")
    return Guard(key, digest.hexdigest())
