"""CurveZMQ keys for the daemon -> broker and worker -> broker links: make them, load them,
apply them to sockets."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import zmq
import zmq.auth

__all__ = ["generate_keys", "load_keys", "load_public_key", "is_loopback", "CurveError",
           "CurveKeys"]


class CurveError(ValueError):
    """A key file is missing or not a CURVE certificate."""


@dataclass(frozen=True)
class CurveKeys:
    """A CURVE client's keys: the server's public key and the client's own pair."""

    server_public: bytes
    public: bytes
    secret: bytes

    def apply(self, sock: zmq.Socket) -> None:
        """Make ``sock`` a CURVE client of the server with these keys (before it connects)."""
        sock.curve_serverkey = self.server_public
        sock.curve_publickey = self.public
        sock.curve_secretkey = self.secret


def generate_keys(directory: Path, name: str, overwrite: bool = False) -> tuple[Path, Path]:
    """Write ``name.key`` (public) and ``name.key_secret`` (0600) in ``directory``.

    An existing pair is kept (``CurveError``) unless ``overwrite``: replacing a broker's keys
    locks out every daemon that trusts the old public key.
    """
    if Path(name).name != name or name in ("", ".", ".."):
        raise CurveError(f"key name {name!r} is not a plain file name")
    existing = [path for path in (directory / f"{name}.key", directory / f"{name}.key_secret")
                if path.exists()]
    if existing and not overwrite:
        raise CurveError(f"{existing[0]} exists: keep it, or replace the pair with --force "
                         "(whoever trusts the old public key is then locked out)")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    old_umask = os.umask(0o077)  # the secret file is never readable by others, not even briefly
    try:
        public, secret = zmq.auth.create_certificates(str(directory), name)
    finally:
        os.umask(old_umask)
    os.chmod(public, 0o644)
    os.chmod(secret, 0o600)
    return Path(public), Path(secret)


def load_keys(secret_file: str) -> tuple[bytes, bytes]:
    """``(public, secret)`` from a ``.key_secret`` file."""
    try:
        public, secret = zmq.auth.load_certificate(secret_file)
    except (OSError, ValueError) as exc:
        raise CurveError(f"cannot read the CURVE key {secret_file}: {exc}") from None
    if secret is None:
        raise CurveError(f"{secret_file} holds no secret key (use the .key_secret file)")
    return public, secret


def load_public_key(public_file: str) -> bytes:
    """The public key from a ``.key`` (or ``.key_secret``) file."""
    try:
        return zmq.auth.load_certificate(public_file)[0]
    except (OSError, ValueError) as exc:
        raise CurveError(f"cannot read the CURVE key {public_file}: {exc}") from None


def is_loopback(endpoint: str) -> bool:
    """True for ``ipc://``/``inproc://`` and tcp endpoints bound to a loopback address."""
    parsed = urlparse(endpoint)
    if parsed.scheme in ("ipc", "inproc"):
        return True
    host = parsed.hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name or "*": could be any interface
