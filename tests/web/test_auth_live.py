"""Bearer tokens on a live server: 401, 403 and 200 on every route class; the login cookie;
the rate limit; logs without secrets; revocation without restart; refusal to start."""

from __future__ import annotations

import subprocess
import sys

import pytest

from datacat.web.auth import create_token, revoke_token

from .auth_server import guarded_server

READS = ["/api/v1/products", "/api/v1/sessions", "/api/data/sessions?limit=5", "/metrics",
         "/openapi.json", "/docs", "/api/v1/series", "/api/v1/annotations"]
WRITES = [("/api/sessions", {"product": "P", "version": "1"})]


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    yield from guarded_server(tmp_path_factory.mktemp("guarded"))


@pytest.fixture(scope="module")
def sid(guarded):
    with guarded.client("writer") as client:
        return client.post("/api/sessions", json={"product": "P", "version": "1"}).json()["session_id"]


def session_writes(sid: str) -> list[tuple[str, dict]]:
    return [*WRITES, (f"/api/sessions/{sid}/state", {"a": 1}),
            (f"/api/sessions/{sid}/events", {"name": "e"}), (f"/api/sessions/{sid}/heartbeat", {})]


@pytest.mark.parametrize("token, read, write", [
    (None, 401, 401), ("reader", 200, 403), ("writer", 403, 200), ("both", 200, 200),
    ("admin", 200, 200),
])
def test_every_route_class_answers_by_scope(guarded, sid, token, read, write):
    with guarded.client(token) as client:
        for path in [*READS, f"/api/sessions/{sid}", f"/api/v1/sessions/{sid}/events"]:
            response = client.get(path)
            assert response.status_code == read, (path, response.text)
        for path, body in session_writes(sid):
            response = client.post(path, json=body)
            assert response.status_code == write, (path, response.text)
            if write != 200:
                assert response.json()["error"] in ("unauthorized", "forbidden")
                assert response.headers["www-authenticate"].startswith("Bearer")


def test_an_unknown_token_is_401_on_reads_and_writes(guarded):
    # a few requests only: each one counts towards the address's failure limit
    with guarded.client("dct_not-a-real-token") as client:
        for response in (client.get("/api/v1/products"),
                         client.post("/api/sessions", json={"product": "P", "version": "1"})):
            assert response.status_code == 401 and response.json()["error"] == "unauthorized"
            assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_health_and_login_stay_open(guarded):
    with guarded.client() as client:
        assert client.get("/health").status_code == 200
        assert client.get("/login").status_code == 200


def test_a_browser_is_sent_to_the_login_form(guarded):
    with guarded.client() as client:
        response = client.get("/sessions?status=crashed", headers={"accept": "text/html"})
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=/sessions%3Fstatus%3Dcrashed"


def test_a_page_with_a_revoked_cookie_goes_back_to_the_login_form(guarded):
    with guarded.client(cookies={"datacat_token": "dct_revoked-long-ago"}) as client:
        response = client.get("/", headers={"accept": "text/html"})
        assert response.status_code == 303 and response.headers["location"] == "/login?next=/"


def test_login_keeps_the_token_in_an_http_only_cookie_for_reads_only(guarded):
    with guarded.client() as client:
        response = client.post("/login", data={"token": guarded.secrets["admin"],
                                                "next": "/api/v1/products"})
        assert response.status_code == 303 and response.headers["location"] == "/api/v1/products"
        cookie = response.headers["set-cookie"]
        assert "datacat_token=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert "Secure" not in cookie  # plain HTTP here; over HTTPS it is Secure
        assert client.get("/api/v1/products").status_code == 200
        # the cookie alone never writes, whatever the token's scopes (no cross-site writes)
        assert client.post("/api/sessions", json={"product": "P", "version": "1"}).status_code == 401
        client.post("/logout")
        assert client.get("/api/v1/products").status_code == 401


@pytest.mark.parametrize("token, status, message", [
    ("writer", 403, "no read scope"), ("dct_wrong", 401, "not valid")])
def test_login_refuses_tokens_that_cannot_read(guarded, token, status, message):
    with guarded.client() as client:
        response = client.post("/login", data={"token": guarded.secrets.get(token, token)})
        assert response.status_code == status and message in response.text
        assert "set-cookie" not in response.headers


def test_login_with_json_answers_the_token_name(guarded):
    with guarded.client() as client:
        response = client.post("/login", json={"token": guarded.secrets["reader"]})
        assert response.status_code == 200 and response.json()["name"] == "reader"


def test_cross_site_login_and_open_redirects_are_refused(guarded):
    with guarded.client() as client:
        response = client.post("/login", data={"token": guarded.secrets["reader"]},
                               headers={"origin": "http://evil.example"})
        assert response.status_code == 403
        response = client.post("/login", data={"token": guarded.secrets["reader"],
                                               "next": "//evil.example/x"})
        assert response.headers["location"] == "/"


@pytest.fixture()
def limited(tmp_path):
    yield from guarded_server(tmp_path)


def test_failures_are_rate_limited_and_logged_without_the_secret(limited):
    wrong = "dct_THIS-SECRET-MUST-NOT-BE-LOGGED-0123456789"
    with limited.client(wrong) as client:
        statuses = [client.get("/api/v1/products").status_code for _ in range(12)]
    assert statuses[:10] == [401] * 10 and statuses[10:] == [429, 429]
    with limited.client("reader") as client:
        response = client.get("/api/v1/products")  # same address: the right token waits too
        assert response.status_code == 429 and int(response.headers["retry-after"]) > 0
        assert client.get("/health").status_code == 200
    log = limited.log()
    assert "auth refused: unknown_token from 127.0.0.1 on GET /api/v1/products" in log
    assert "rate_limited" in log
    assert wrong not in log and wrong[4:] not in log and limited.secrets["reader"] not in log


def test_tokens_created_or_revoked_apply_without_a_restart(limited):
    secret = create_token(limited.tokens_file, "late", ["read"])
    with limited.client(secret) as client:
        assert client.get("/api/v1/products").status_code == 200
        revoke_token(limited.tokens_file, "late")
        assert client.get("/api/v1/products").status_code == 401


def _run_web(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "datacat.web", "--store", "memory://", *args],
                          capture_output=True, text=True, timeout=60)


def test_a_non_loopback_bind_without_tokens_refuses_to_start(tmp_path):
    result = _run_web("--host", "0.0.0.0", "--port", "1")
    assert result.returncode == 2 and "refusing to serve on 0.0.0.0" in result.stderr
    empty = tmp_path / "tokens.json"
    create_token(empty, "gone", ["read"])
    revoke_token(empty, "gone")
    result = _run_web("--host", "0.0.0.0", "--port", "1", "--tokens-file", str(empty))
    assert result.returncode == 2 and "holds none" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unsafe_token_file_refuses_to_start(tmp_path):
    path = tmp_path / "tokens.json"
    create_token(path, "ci", ["read"])
    path.chmod(0o640)
    result = _run_web("--tokens-file", str(path))
    assert result.returncode == 2 and "chmod 600" in result.stderr
