"""Schemathesis against the live app: every operation of ``/openapi.json``, property-based,
checked for "no 5xx" and "responses match the schema".

Cases come from schemathesis's strategies (valid data, and data that breaks the schema)
and run with Hypothesis here, one test per operation; schemathesis's own pytest plugin is
not used (its lazy loader does not run on pytest 9). A case's ``sid`` is often swapped for
a session seeded here (every outcome, with events, metrics and state), and a
``fingerprint`` for the issue of its exception, so both the 200 and the 404 answers are
checked.
"""

from __future__ import annotations

import os

import hypothesis.strategies as st
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from datacat.broker.fingerprint import fingerprint
from datacat.web.openapi import spec

from .seeding import seed_mix

#: The issue of the exception logged below (its map as ``web.writes`` makes it).
ISSUE = fingerprint({"type": "ValueError", "stacktrace": ["a.py:1"]})
#: Examples per operation: the whole run stays well under a minute
#: (``DATACAT_SCHEMATHESIS_EXAMPLES=500`` for a deeper run by hand).
MAX_EXAMPLES = int(os.environ.get("DATACAT_SCHEMATHESIS_EXAMPLES", "30"))
OPERATIONS = [(method.upper(), path) for path, item in spec()["paths"].items() for method in item]
CHECKS = [not_a_server_error, response_schema_conformance]


@pytest.fixture(scope="module")
def api(web):
    """``(schemathesis schema, seeded session ids)`` of the live server."""
    _, parts = seed_mix(web)
    sid = web.create(tags={"env": "qa"}, hostname="rig-1")
    for route, body in (("state", {"level": 1, "player": {"hp": 3}}),
                        ("events", {"name": "boom", "exception_type": "ValueError",
                                    "stacktrace": ["a.py:1"], "data": {"k": [1, 2]}}),
                        ("metrics", {"name": "fps", "value": 59.5, "tags": ["scene:a"]})):
        assert web.client.post(f"/api/sessions/{sid}/{route}", json=body).status_code == 200
    return schemathesis.openapi.from_url(web.url + "/openapi.json"), [sid, *parts]


def test_every_operation_of_the_document_is_tested():
    assert len(OPERATIONS) >= 25 and ("POST", "/api/sessions/{sid}/events") in OPERATIONS


@pytest.mark.parametrize("method, path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_the_operation_keeps_its_contract(api, method, path):
    schema, sids = api
    operation = schema[path][method]
    cases = st.one_of(operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
                      operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))

    seen = []

    @given(case=cases, sid=st.sampled_from([*sids, None]))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case, sid):
        if sid is not None and "sid" in (case.path_parameters or {}):
            case.path_parameters["sid"] = sid
        if sid is not None and "fingerprint" in (case.path_parameters or {}):
            case.path_parameters["fingerprint"] = ISSUE
        seen.append(case.call_and_validate(checks=CHECKS).status_code)

    run()
    assert any(status < 400 for status in seen), f"no case succeeded: {sorted(set(seen))}"
