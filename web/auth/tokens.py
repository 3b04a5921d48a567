"""API tokens: a JSON file (mode 0600) of named, scoped, hashed tokens.

A token's secret is ``dct_`` plus 32 random bytes (base64url). Only its SHA-256 is
stored: the secret has 256 bits of entropy, so a slow password hash would add cost per
request and no safety. Lookups hash the presented secret and compare it with every
stored digest in constant time (``hmac.compare_digest``), without stopping early.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import re
import secrets
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SCOPES", "PREFIX", "Token", "TokenError", "create_token", "list_tokens",
           "revoke_token", "read_tokens"]

#: ``admin`` grants every scope.
SCOPES = ("read", "write", "admin")
PREFIX = "dct_"
_FORMAT = 1
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}\Z")


class TokenError(ValueError):
    """A bad token file, name or scope; the message names the file or the value."""


@dataclass(frozen=True)
class Token:
    """One stored token: its name, scopes and the SHA-256 of its secret (hex)."""

    name: str
    scopes: frozenset
    digest: str
    created_at: float

    def allows(self, scope: str) -> bool:
        return "admin" in self.scopes or scope in self.scopes

    def matches(self, digest: str) -> bool:
        return hmac.compare_digest(self.digest, digest)


def digest_of(secret: str) -> str:
    """The hex SHA-256 of a secret, as stored."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _check_scopes(scopes: Iterable[str]) -> frozenset:
    chosen = frozenset(scopes)
    unknown = chosen - set(SCOPES)
    if not chosen or unknown:
        raise TokenError(f"scopes must be one or more of {', '.join(SCOPES)}"
                         + (f", not {', '.join(sorted(unknown))}" if unknown else ""))
    return chosen


def _parse(path: Path, raw: str) -> list[Token]:
    try:
        doc = json.loads(raw)
        if doc.get("format") != _FORMAT:
            raise TokenError(f"{path}: unknown format {doc.get('format')!r}")
        return [Token(entry["name"], _check_scopes(entry["scopes"]),
                      entry["hash"].removeprefix("sha256:"), float(entry["created_at"]))
                for entry in doc["tokens"]]
    except TokenError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise TokenError(f"{path}: not a DataCat token file ({exc!r})") from None


def read_tokens(path: str | os.PathLike) -> list[Token]:
    """The tokens in ``path`` (``[]`` if it does not exist).

    Raises ``TokenError`` if the file is readable or writable by group or others, or is
    not a token file.
    """
    path = Path(path)
    try:
        with open(path, encoding="utf-8") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            if mode & 0o077:
                raise TokenError(f"{path} has mode {mode & 0o777:o}: only its owner may "
                                 f"read it (chmod 600 {path})")
            return _parse(path, handle.read())
    except FileNotFoundError:
        return []


def _write(path: Path, tokens: list[Token]) -> None:
    """Replace ``path`` atomically with a 0600 file holding ``tokens``."""
    doc = {"format": _FORMAT, "tokens": [
        {"name": t.name, "scopes": sorted(t.scopes), "hash": "sha256:" + t.digest,
         "created_at": t.created_at} for t in tokens]}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)  # left by a writer that died (same pid, long ago)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(doc, handle, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[list[Token]]:
    """The tokens of ``path`` under an exclusive lock (one writer at a time)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield read_tokens(path)
    finally:
        os.close(fd)


def create_token(path: str | os.PathLike, name: str, scopes: Iterable[str]) -> str:
    """Add a token named ``name`` with ``scopes`` to the file; returns its secret.

    The secret is shown once and never stored. ``TokenError`` for a bad or taken name,
    or an unknown scope.
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise TokenError(f"token name {name!r}: use 1-64 letters, digits, '_', '.', '@' or '-'")
    chosen = _check_scopes(scopes)
    path = Path(path)
    secret = PREFIX + secrets.token_urlsafe(32)
    with _locked(path) as tokens:
        if any(token.name == name for token in tokens):
            raise TokenError(f"a token named {name!r} exists already in {path}")
        _write(path, [*tokens, Token(name, chosen, digest_of(secret), time.time())])
    return secret


def list_tokens(path: str | os.PathLike) -> list[dict]:
    """``[{name, scopes, created_at}]`` (never a secret or a hash), oldest first."""
    return [{"name": t.name, "scopes": sorted(t.scopes), "created_at": t.created_at}
            for t in read_tokens(path)]


def revoke_token(path: str | os.PathLike, name: str) -> None:
    """Remove the token ``name``; a running web app refuses it from its next request on.

    ``TokenError`` if there is no such token.
    """
    path = Path(path)
    with _locked(path) as tokens:
        kept = [token for token in tokens if token.name != name]
        if len(kept) == len(tokens):
            raise TokenError(f"no token named {name!r} in {path}")
        _write(path, kept)
