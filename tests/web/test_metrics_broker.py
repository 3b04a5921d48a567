"""``/metrics`` asks a real broker for its counters when ``broker_stats`` is configured."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import DataCatProcess, free_port, wait_until

from .conftest import start_web, stop_web


def families(url: str) -> dict:
    import httpx

    text = httpx.get(url + "/metrics", timeout=10).text
    return {sample.name: sample for family in text_string_to_metric_families(text)
            for sample in family.samples if sample.name.startswith("datacat_broker")}


def test_broker_counters_are_exported(tmp_path):
    stats = f"tcp://127.0.0.1:{free_port()}"
    broker = DataCatProcess(["broker", "--frontend", f"tcp://127.0.0.1:{free_port()}",
                             "--backend", f"tcp://127.0.0.1:{free_port()}", "--stats", stats],
                            tmp_path / "broker.log")
    process, url, log_path = start_web(tmp_path, "memory://", "--broker-stats", stats)
    try:
        found = wait_until(lambda: (got := families(url)).get("datacat_broker_up")
                           and got["datacat_broker_up"].value == 1 and got, 20,
                           message="the broker's counters in /metrics")
        assert "datacat_broker_messages_total" in found and "datacat_broker_bytes_total" in found
    finally:
        assert broker.stop() == 0, broker.log()
        assert stop_web(process) == 0, log_path.read_text()


def test_a_silent_broker_is_reported_down(tmp_path):
    process, url, log_path = start_web(tmp_path, "memory://", "--broker-stats",
                                       f"tcp://127.0.0.1:{free_port()}")
    try:
        assert families(url)["datacat_broker_up"].value == 0
    finally:
        assert stop_web(process) == 0, log_path.read_text()


def test_without_an_endpoint_there_is_no_broker_family(web):
    assert families(web.url) == {}
