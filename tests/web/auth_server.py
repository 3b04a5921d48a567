"""A live web server with a token file holding one token per scope mix (shared by auth tests)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx

from datacat.web.auth import create_token

from .conftest import start_web, stop_web

__all__ = ["GuardedServer", "guarded_server", "SCOPE_SETS"]

#: Token name → scopes.
SCOPE_SETS = {"reader": ["read"], "writer": ["write"], "both": ["read", "write"],
              "admin": ["admin"]}


@dataclass
class GuardedServer:
    process: object
    url: str
    log_path: Path
    tokens_file: Path
    secrets: dict

    def client(self, token: str | None = None, **kwargs) -> httpx.Client:
        """A client sending ``token``'s secret (a name in ``SCOPE_SETS``) or a raw string."""
        secret = self.secrets.get(token, token)
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10, **kwargs)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def guarded_server(tmp: Path, *extra: str):
    """Start a server on loopback with ``--tokens-file``; a generator for fixtures."""
    tokens_file = tmp / "tokens.json"
    secrets = {name: create_token(tokens_file, name, scopes) for name, scopes in SCOPE_SETS.items()}
    process, url, log_path = start_web(tmp, f"diskcache://{tmp / 'store'}",
                                       "--tokens-file", str(tokens_file), *extra)
    server = GuardedServer(process, url, log_path, tokens_file, secrets)
    try:
        yield server
    finally:
        code = stop_web(process)
        assert code == 0, server.log()[-3000:]
