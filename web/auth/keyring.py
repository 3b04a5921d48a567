"""``Keyring``: the tokens a running web app accepts, re-read whenever the file changes."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from .tokens import Token, TokenError, digest_of, read_tokens

__all__ = ["Keyring", "MAX_SECRET"]

log = logging.getLogger("datacat.web.auth")

#: Longer presented secrets are refused unhashed (ours are 47 characters).
MAX_SECRET = 256


class Keyring:
    """Tokens of one file. ``lookup`` stats the file first, so ``datacat tokens create``
    and ``revoke`` take effect on the next request, without a restart.

    Construction raises ``TokenError`` for a bad file. A file that turns bad later is
    logged and accepts nothing until fixed (fail closed); a deleted file accepts nothing.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._signature: tuple | None = None
        self._tokens: tuple[Token, ...] = ()
        self._load(strict=True)

    def _stat(self) -> tuple | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size, st.st_mode

    def _load(self, strict: bool = False) -> None:
        signature = self._stat()
        if signature == self._signature and self._signature is not None:
            return
        self._signature = signature
        try:
            self._tokens = tuple(read_tokens(self.path))
        except (TokenError, OSError) as exc:
            if strict:
                raise TokenError(str(exc)) from None
            log.error("token file unusable, refusing every token until fixed: %s", exc)
            self._tokens = ()

    def tokens(self) -> tuple[Token, ...]:
        """The current tokens (re-read if the file changed)."""
        self._load()
        return self._tokens

    def lookup(self, secret: str) -> Token | None:
        """The token whose secret this is, or ``None``; compares against every token."""
        if not secret or len(secret) > MAX_SECRET:
            return None
        digest = digest_of(secret)
        found = None
        for token in self.tokens():
            if token.matches(digest):
                found = token
        return found
