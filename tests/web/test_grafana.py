"""``deploy/grafana``: the provisioning files parse, and every query of the dashboard names
a metric this server exports or an endpoint (and parameters) it serves."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from datacat.web.insights.series import METRICS
from datacat.web.openapi import spec
from tests.helpers import wait_until

from .seeding import seed_daemon, seed_mix, seed_worker

GRAFANA = Path(__file__).resolve().parents[2] / "deploy" / "grafana"
INFINITY = "yesoreyeram-infinity-datasource"


def dashboard() -> dict:
    return json.loads((GRAFANA / "dashboards" / "datacat.json").read_text())


def targets() -> list[dict]:
    board = dashboard()
    out = [target for panel in board["panels"] for target in panel["targets"]]
    return out + [note["target"] for note in board["annotations"]["list"]]


def datasources() -> dict:
    doc = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "datacat.yaml").read_text())
    return {source["uid"]: source for source in doc["datasources"]}


@pytest.fixture(scope="module")
def exported(web) -> set[str]:
    """Sample names one scrape of a server holding sessions and a daemon exports."""
    seed_mix(web)
    seed_daemon(web, "d-grafana", {"records_in": 5, "client_dropped": 0, "rejected": 0,
                                   "outbox": 0, "frames_rejected": {"bad_frame": 1},
                                   "drops": {"debug": 1}})
    seed_worker(web, "w-grafana", {"applied": 1, "duplicates": 0, "errors": 0,
                                   "rejected:bad_envelope": 1})

    def names() -> set[str]:
        text = web.client.get("/metrics").text
        return {sample.name for family in text_string_to_metric_families(text)
                for sample in family.samples}

    # hang figures appear once the index (refreshed about once a second) holds the sessions
    return wait_until(lambda: (found := names()) >= {"datacat_hang_episodes"} and found, 15,
                      message="hang figures in /metrics")


def test_provisioning_files_parse():
    sources = datasources()
    assert {source["type"] for source in sources.values()} == {"prometheus", INFINITY}
    api = next(s for s in sources.values() if s["type"] == INFINITY)
    assert api["jsonData"]["auth_method"] == "bearerToken"
    assert api["secureJsonData"]["bearerToken"].startswith("${")  # never a literal secret
    providers = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "datacat.yaml").read_text())
    assert providers["providers"][0]["type"] == "file"
    assert yaml.safe_load((GRAFANA / "prometheus.yml").read_text())["scrape_configs"]


def test_the_dashboard_parses_and_uses_provisioned_sources():
    board = dashboard()
    assert board["uid"] and board["panels"]
    uids = set(datasources())
    for panel in board["panels"]:
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] in uids, panel["title"]
    assert {p["title"] for p in board["panels"]} >= {
        "Sessions by status over time (by start time)", "Crash-free rate per version over time",
        "Top crash reasons", "Hang episodes per version"}


def test_every_prometheus_query_names_an_exported_metric(exported):
    queries = [t["expr"] for t in targets() if "expr" in t]
    assert queries
    for expr in queries:
        names = re.findall(r"\bdatacat_[a-z_]+", expr)
        assert names, expr
        for name in names:
            assert name in exported, f"{name} (in {expr!r}) is not exported"
    assert "datacat_" in dashboard()["templating"]["list"][0]["definition"]


def _infinity_targets() -> list[dict]:
    return [t for t in targets() if t["datasource"]["type"] == INFINITY]


def test_every_infinity_query_names_an_endpoint_and_its_parameters():
    paths = spec()["paths"]
    for target in _infinity_targets():
        operation = paths[target["url"]]["get"]
        documented = {p["name"] for p in operation.get("parameters", ())}
        params = {p["key"]: p["value"] for p in target["url_options"]["params"]}
        assert set(params) <= documented, target["url"]
        if "metric" in params:
            assert params["metric"] in METRICS


def _fill(value: str, now: float) -> str:
    """Grafana's variables as Grafana would fill them for "the last 24 hours"."""
    return (value.replace("${__from:date:seconds}", str(int(now - 86400)))
            .replace("${__to:date:seconds}", str(int(now))).replace("$__interval", "5m")
            .replace("$product", ""))


def test_every_infinity_query_answers_on_the_live_server(web):
    now = time.time()
    for target in _infinity_targets():
        params = {p["key"]: _fill(p["value"], now) for p in target["url_options"]["params"]}
        response = web.client.get(target["url"], params=params)
        assert response.status_code == 200, (target["url"], params, response.text)
        body = response.json()
        rows = body[target["root_selector"]] if target.get("root_selector") else body
        assert isinstance(rows, list)
        for column in target.get("columns", ()):
            assert all(column["selector"] in row for row in rows), column
