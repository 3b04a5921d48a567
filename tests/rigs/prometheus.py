"""A real Prometheus (the system's binary) on a free port, scraping a DataCat ``/metrics``."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import httpx

from tests.helpers import free_port, wait_until

__all__ = ["RULES", "RULE_TESTS", "Prometheus", "binary", "fast_rules"]

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "alerts.yml"
RULE_TESTS = RULES.with_name("alerts_test.yml")

CONFIG = """
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [{rules}]
scrape_configs:
  - job_name: datacat
    static_configs:
      - targets: ["{target}"]
"""


def binary(name: str) -> str | None:
    """``prometheus`` or ``promtool`` on the PATH (Debian's ``prometheus`` package has both)."""
    return shutil.which(name)


def fast_rules(target: Path) -> Path:
    """A copy of the shipped rules that fire at once (every ``for:`` made ``0s``)."""
    target.write_text(re.sub(r"(?m)^(\s+for:) \S+$", r"\1 0s", RULES.read_text()))
    return target


class Prometheus:
    """Prometheus scraping ``target`` (host:port) every second, with ``rules`` loaded."""

    def __init__(self, workdir: Path, target: str, rules: Path):
        self.url = f"http://127.0.0.1:{free_port()}"
        config = workdir / "prometheus.yml"
        config.write_text(CONFIG.format(rules=rules, target=target))
        self._log = open(workdir / "prometheus.log", "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [binary("prometheus"), f"--config.file={config}", f"--storage.tsdb.path={workdir / 'data'}",
             f"--web.listen-address={self.url.removeprefix('http://')}", "--log.level=warn"],
            stdout=self._log, stderr=subprocess.STDOUT)
        wait_until(lambda: self.process.poll() is None
                   and httpx.get(self.url + "/-/ready", timeout=2).status_code == 200, 60,
                   message=f"prometheus to be ready ({workdir / 'prometheus.log'})")

    def api(self, path: str, **params) -> object:
        """``data`` of a Prometheus HTTP API answer (``/api/v1/<path>``)."""
        response = httpx.get(f"{self.url}/api/v1/{path}", params=params, timeout=10)
        body = response.json()
        assert body["status"] == "success", body
        return body["data"]

    def query(self, promql: str) -> list[dict]:
        return self.api("query", query=promql)["result"]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()
