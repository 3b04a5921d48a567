"""Token files, the keyring, the failure limiter and the bind policy (no server)."""

from __future__ import annotations

import json
import os
import stat

import pytest

from datacat.web.auth import (
    SCOPES,
    Keyring,
    TokenError,
    create_token,
    is_loopback,
    list_tokens,
    required_scope,
    revoke_token,
)
from datacat.web.auth.limiter import FailureLimiter
from datacat.web.auth.policy import check_bind
from datacat.web.auth.tokens import digest_of


def test_a_created_token_is_stored_hashed_in_a_0600_file(tmp_path):
    path = tmp_path / "conf" / "tokens.json"
    secret = create_token(path, "grafana", ["read"])
    assert secret.startswith("dct_") and len(secret) >= 40
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    raw = path.read_text()
    assert secret not in raw and secret[4:] not in raw
    entry = json.loads(raw)["tokens"][0]
    assert entry["hash"] == "sha256:" + digest_of(secret) and entry["scopes"] == ["read"]


def test_list_and_revoke(tmp_path):
    path = tmp_path / "tokens.json"
    create_token(path, "ci", ["write"])
    create_token(path, "ops", ["admin", "read"])
    listed = list_tokens(path)
    assert [(t["name"], t["scopes"]) for t in listed] == [("ci", ["write"]), ("ops", ["admin", "read"])]
    assert all(set(t) == {"name", "scopes", "created_at"} for t in listed)
    revoke_token(path, "ci")
    assert [t["name"] for t in list_tokens(path)] == ["ops"]
    with pytest.raises(TokenError, match="no token named 'ci'"):
        revoke_token(path, "ci")


@pytest.mark.parametrize("name, scopes, message", [
    ("", ["read"], "token name"), ("a b", ["read"], "token name"), ("x" * 65, ["read"], "token name"),
    ("ok", [], "scopes"), ("ok", ["root"], "root"),
])
def test_bad_names_and_scopes_are_refused(tmp_path, name, scopes, message):
    with pytest.raises(TokenError, match=message):
        create_token(tmp_path / "tokens.json", name, scopes)
    assert not (tmp_path / "tokens.json").exists()


def test_names_are_unique(tmp_path):
    create_token(tmp_path / "t.json", "ci", ["read"])
    with pytest.raises(TokenError, match="exists already"):
        create_token(tmp_path / "t.json", "ci", ["write"])


def test_a_missing_file_lists_nothing(tmp_path):
    assert list_tokens(tmp_path / "absent.json") == []


def test_a_file_others_can_read_is_refused(tmp_path):
    path = tmp_path / "tokens.json"
    create_token(path, "ci", ["read"])
    path.chmod(0o644)
    with pytest.raises(TokenError, match="chmod 600"):
        list_tokens(path)
    with pytest.raises(TokenError):
        Keyring(path)


def test_a_file_that_is_not_a_token_file_names_itself(tmp_path):
    path = tmp_path / "tokens.json"
    path.write_text('{"tokens": 3}')
    path.chmod(0o600)
    with pytest.raises(TokenError, match=str(path)):
        list_tokens(path)


def test_the_keyring_follows_the_file(tmp_path):
    path = tmp_path / "tokens.json"
    first = create_token(path, "a", ["read"])
    keyring = Keyring(path)
    assert keyring.lookup(first).name == "a"
    second = create_token(path, "b", ["write"])
    assert keyring.lookup(second).name == "b"
    revoke_token(path, "a")
    assert keyring.lookup(first) is None
    assert keyring.lookup("dct_" + "x" * 43) is None and keyring.lookup("") is None
    assert keyring.lookup("y" * 10_000) is None
    path.write_text("garbage")  # turned bad while running: fail closed
    assert keyring.lookup(second) is None


def test_scopes_and_admin():
    from datacat.web.auth.tokens import Token

    read = Token("r", frozenset({"read"}), "0" * 64, 0.0)
    admin = Token("a", frozenset({"admin"}), "0" * 64, 0.0)
    assert read.allows("read") and not read.allows("write")
    assert all(admin.allows(scope) for scope in SCOPES)


def test_the_limiter_blocks_after_the_limit_and_forgets_after_the_window():
    limiter = FailureLimiter(limit=3, window=60.0)
    for t in (0.0, 1.0, 2.0):
        assert limiter.retry_after("1.2.3.4", t) == 0
        limiter.fail("1.2.3.4", t)
    assert limiter.retry_after("1.2.3.4", 3.0) == pytest.approx(57.0)
    assert limiter.retry_after("5.6.7.8", 3.0) == 0  # per address
    assert limiter.retry_after("1.2.3.4", 60.5) == 0  # the first failure left the window


def test_the_limiter_memory_is_bounded():
    limiter = FailureLimiter(limit=2, window=60.0, max_clients=100)
    for i in range(1000):
        limiter.fail(f"10.0.{i // 256}.{i % 256}", float(i) / 1000)
    assert len(limiter._failures) == 100


@pytest.mark.parametrize("host, loopback", [
    ("127.0.0.1", True), ("127.8.9.1", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("", False), ("192.0.2.7", False), ("example.org", False),
])
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


@pytest.mark.parametrize("method, path, scope", [
    ("GET", "/health", None), ("POST", "/login", None), ("GET", "/login", None),
    ("GET", "/api/v1/sessions", "read"), ("HEAD", "/metrics", "read"), ("GET", "/", "read"),
    ("POST", "/api/sessions", "write"), ("DELETE", "/api/v1/sessions", "write"),
])
def test_required_scope(method, path, scope):
    assert required_scope(method, path) == scope


def test_check_bind():
    check_bind("127.0.0.1", None, 0)
    check_bind("0.0.0.0", "/etc/datacat/tokens.json", 1)
    with pytest.raises(ValueError, match="no token file is set"):
        check_bind("0.0.0.0", None, 0)
    with pytest.raises(ValueError, match="holds none"):
        check_bind("192.0.2.7", "/etc/datacat/tokens.json", 0)
