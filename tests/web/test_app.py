"""Health, the front page, error bodies, clean shutdown and import hygiene."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
from sanic.exceptions import NotFound

from datacat.broker.errors import InvalidBatch
from datacat.web.errors import ApiError, describe

from .conftest import start_web, stop_web


def test_health(web):
    response = web.client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy" and body["service"] == "datacat"
    assert isinstance(body["version"], str) and body["version"]


def test_front_page_links_to_the_api(web):
    response = web.client.get("/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert 'href="/api/v1/sessions"' in response.text and 'href="/health"' in response.text


@pytest.mark.parametrize("path", ["/nope", "/api/v2/sessions", "/api/sessions/a/b/c"])
def test_unknown_routes_are_json_404(web, path):
    response = web.client.get(path)
    assert response.status_code == 404 and response.json()["error"] == "not_found"


def test_server_errors_never_carry_the_exception_text():
    status, body, _ = describe(RuntimeError("secret /etc/passwd at line 3"))
    assert status == 500 and body["error"] == "internal" and "secret" not in body["detail"]


@pytest.mark.parametrize("exc, status, code", [
    (ApiError(400, "bad_parameter", "x"), 400, "bad_parameter"),
    (InvalidBatch("bad_field", "event name must be a string"), 422, "invalid"),
    (NotFound("gone"), 404, "not_found"),
])
def test_errors_map_to_status_and_code(exc, status, code):
    got_status, body, _ = describe(exc)
    assert (got_status, body["error"]) == (status, code) and body["detail"]


def test_sigint_stops_the_server_cleanly(tmp_path):
    process, url, log_path = start_web(tmp_path, "memory://")
    assert stop_web(process, signal.SIGINT) == 0, log_path.read_text()


def test_a_bad_store_url_fails_before_listening(tmp_path):
    result = subprocess.run([sys.executable, "-m", "datacat.web", "--store", "bogus://x"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "bogus://x" in result.stderr
    assert "Traceback" not in result.stderr


def test_import_datacat_leaves_the_server_side_unimported():
    code = ("import sys, datacat; print(sorted(m for m in ('sanic', 'plotly', 'diskcache', "
            "'datacat.web', 'datacat.broker') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
