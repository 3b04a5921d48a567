"""A real Prometheus scraping a live DataCat, and the shipped alert rules in promtool and in it."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.helpers import wait_until
from tests.rigs.prometheus import RULE_TESTS, RULES, Prometheus, binary, fast_rules

pytestmark = pytest.mark.slow

METRICS_DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"
MISSING = "Debian's prometheus package is not installed: run scripts/system-deps.sh as root"
SESSIONS_APP = """
import datacat
for _ in range(10):
    datacat.create_session("PromApp", "1.0").end()
datacat.create_session("PromApp", "1.0")
raise RuntimeError("the eleventh run crashes")
"""


def documented_series() -> dict[str, set[str]]:
    """``{metric: label names}`` from the tables of docs/metrics.md.

    A row's labels are those in its braces, plus its section's ``(per `a`, `b`)`` labels when
    the row maps one daemon stat or worker counter (a backticked name in its third column).
    """
    series, section = {}, set()
    for line in METRICS_DOC.read_text().splitlines():
        if line.startswith("## "):
            section = set(re.findall(r"`(\w+)`", line)) if "(per " in line else set()
            continue
        row = re.match(r"\| `(datacat_\w+)(?:\{([\w,]+)\})?` \|[^|]*\|([^|]*)\|", line)
        if row:
            name, labels, source = row.groups()
            own = set(labels.split(",")) if labels else set()
            series[name] = own | (section if re.fullmatch(r"\s*`\w+`\s*", source) else set())
    return series


@pytest.fixture(scope="module")
def prometheus(rig_stack, tmp_path_factory):
    """Prometheus scraping the module's stack, after 10 clean sessions and 1 crash of PromApp 1.0."""
    if binary("prometheus") is None:
        pytest.skip(MISSING)
    app = subprocess.run([sys.executable, "-c", textwrap.dedent(SESSIONS_APP)], env=rig_stack.env,
                         capture_output=True, text=True, timeout=60)
    assert "the eleventh run crashes" in app.stderr, app.stderr
    workdir = tmp_path_factory.mktemp("prometheus")
    server = Prometheus(workdir, rig_stack.url.removeprefix("http://"), fast_rules(workdir / "alerts.yml"))
    yield server
    server.stop()


def product_rollup(stack, product: str) -> dict | None:
    return next((item for item in stack.get("/api/v1/products").json()["items"]
                 if item["product"] == product), None)


def test_promtool_checks_and_unit_tests_the_rules():
    if binary("promtool") is None:
        pytest.skip(MISSING)
    for argv in (["check", "rules", str(RULES)], ["test", "rules", str(RULE_TESTS)]):
        result = subprocess.run([binary("promtool"), *argv], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr


def test_documented_series_exist_with_their_labels(prometheus):
    documented = documented_series()
    assert len(documented) > 40 and documented["datacat_daemon_outbox_batches"] == {"daemon", "host"}
    required = {name for name, labels in documented.items() if "reason" not in labels}

    missing = set(required)

    def scraped() -> dict[str, list[set]]:
        found = {}
        for series in prometheus.api("series", **{"match[]": '{__name__=~"datacat_.+"}'}):
            labels = set(series) - {"__name__", "job", "instance"}
            found.setdefault(series["__name__"], []).append(labels)
        missing.clear()
        missing.update(required - set(found))
        return not missing and found

    try:
        found = wait_until(scraped, 60, interval=0.5, message="every documented series in prometheus")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; missing: {sorted(missing)}") from None
    for name, label_sets in found.items():
        if name in documented:
            assert all(labels == documented[name] for labels in label_sets), (name, label_sets)
    undocumented = {name for name in found if name not in documented
                    and not name.startswith("datacat_web_process_")}
    assert not undocumented


def test_crash_free_rate_in_promql_matches_the_products_api(rig_stack, prometheus):
    rollup = wait_until(lambda: (r := product_rollup(rig_stack, "PromApp"))
                        and r["by_status"].get("crashed") == 1 and r["total"] == 11 and r,
                        30, message="10 ended and 1 crashed PromApp sessions")
    expected = 1 - rollup["by_status"]["crashed"] / rollup["total"]
    promql = ('1 - sum by (product, version) (datacat_sessions{product="PromApp",status="crashed"})'
              ' / sum by (product, version) (datacat_sessions{product="PromApp"})')

    def computed():
        result = prometheus.query(promql)
        return result and abs(float(result[0]["value"][1]) - expected) < 1e-9 and result

    result = wait_until(computed, 60, interval=0.5, message=f"PromQL crash-free rate {expected}")
    assert result[0]["metric"] == {"product": "PromApp", "version": "1.0"}
    exported = prometheus.query('datacat_session_crash_free_ratio{product="PromApp"}')
    assert float(exported[0]["value"][1]) == pytest.approx(expected)


def test_the_crash_free_alert_fires(prometheus):
    def firing():
        return [alert for alert in prometheus.api("alerts")["alerts"]
                if alert["labels"]["alertname"] == "DataCatCrashFreeSessionsLow"
                and alert["state"] == "firing"]

    alerts = wait_until(firing, 60, interval=0.5, message="DataCatCrashFreeSessionsLow firing")
    assert [(a["labels"]["product"], a["labels"]["version"]) for a in alerts] == [("PromApp", "1.0")]
    assert alerts[0]["annotations"]["summary"] == "PromApp 1.0: 90.91% of sessions crash-free"
