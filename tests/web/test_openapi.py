"""The OpenAPI document: served, complete (every REST route), and enforced on bodies."""

from __future__ import annotations

import re

import pytest

from datacat.web.app import create_app
from datacat.web.errors import ApiError
from datacat.web.openapi import spec
from datacat.web.settings import WebSettings
from datacat.web.validation import body_rule, check_body, openapi_path, to_json_schema

#: Routes that are not REST: dashboard pages and files, Swagger UI's files.
NOT_REST = re.compile(r"^/($|sessions|products|issues|compare|dashboard/|static|vendor/|docs/)")


def app_operations() -> set[tuple[str, str]]:
    app = create_app(WebSettings(name="openapi_routes"))
    app.router.finalize()
    out = set()
    for route in app.router.routes:
        path = openapi_path(route.path)
        if NOT_REST.match(path):
            continue
        out.update((method, path) for method in route.methods if method not in ("HEAD", "OPTIONS"))
    return out


def test_every_rest_route_is_documented_and_nothing_else():
    documented = {(method.upper(), path) for path, item in spec()["paths"].items()
                  for method in item}
    assert app_operations() == documented


def test_the_document_is_served_and_is_openapi_3(web):
    response = web.client.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.0") and document["info"]["title"] == "DataCat"
    assert "/api/v1/sessions/{sid}/state/history" in document["paths"]
    assert document["paths"]["/health"]["get"]["security"] == []


def test_swagger_ui_is_served_from_this_origin(web):
    page = web.client.get("/docs")
    assert page.status_code == 200 and "swagger-ui-bundle.js" in page.text
    assert "http" not in page.text.split("<body>")[1]  # nothing from another origin
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'self'
    for asset, kind in (("/docs/swagger-ui-bundle.js", "javascript"),
                        ("/docs/swagger-ui.css", "css"), ("/docs/init.js", "javascript")):
        response = web.client.get(asset)
        assert response.status_code == 200 and kind in response.headers["content-type"]
        assert len(response.content) > 50


def test_nullable_becomes_a_null_type():
    converted = to_json_schema({"type": "object", "properties": {
        "a": {"type": "string", "nullable": True},
        "b": {"anyOf": [{"type": "string"}], "nullable": True},
        "c": {"type": "string", "enum": ["x"], "nullable": True}}})
    props = converted["properties"]
    assert props["a"] == {"type": ["string", "null"]}
    assert props["b"]["anyOf"][-1] == {"type": "null"}
    assert props["c"]["enum"] == ["x", None]


@pytest.mark.parametrize("path, body, status, detail", [
    ("/api/sessions/{sid}/metrics", {"value": 1}, 400, "name is required"),
    ("/api/sessions/{sid}/metrics", {"name": "m", "value": None}, 400, "value is required"),
    ("/api/sessions/{sid}/metrics", {"name": "m", "value": "1"}, 422, "value must be a number"),
    ("/api/sessions/{sid}/metrics", {"name": "m", "value": 1, "count": 0}, 422, "count"),
    ("/api/sessions/{sid}/metrics", {"name": "m", "value": 1, "type": "x"}, 422,
     "type must be one of counter, gauge, histogram, timer"),
    ("/api/sessions/{sid}/events", {"name": "e", "labels": ["a", 2]}, 422,
     "labels[1] must be a string"),
    ("/api/sessions/{sid}/events", {"name": "e", "source_line": 1.5}, 422, "source_line"),
    ("/api/sessions", {"product": "p", "version": "1", "tags": 3}, 422, "tags"),
    ("/login", {}, 400, "token is required"),
])
def test_schema_violations_name_the_field(path, body, status, detail):
    with pytest.raises(ApiError) as raised:
        check_body(body, body_rule(path, "POST"))
    assert raised.value.status == status and detail in raised.value.detail


@pytest.mark.parametrize("path, body", [
    ("/api/sessions", {"product": "p", "version": "1", "tags": ["a:b"], "pid": None}),
    ("/api/sessions/{sid}/events", {"name": "e", "timestamp": 1750000000, "data": None}),
    ("/api/sessions/{sid}/state", {"state": {"a": None}, "timestamp": "2025-06-15T15:06:40Z"}),
    ("/api/sessions/{sid}/crash", {}),
])
def test_valid_bodies_pass(path, body):
    check_body(body, body_rule(path, "POST"))


def test_a_live_body_error_is_422_naming_the_field(web):
    sid = web.create()
    response = web.client.post(f"/api/sessions/{sid}/events", json={"name": "e", "labels": [1]})
    assert response.status_code == 422
    assert response.json() == {"error": "invalid", "detail": "labels[0] must be a string"}
