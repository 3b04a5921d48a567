"""``GET /metrics``: parsed with ``prometheus_client.parser``; the numbers match the store."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from datacat.broker.store import STATUSES, SessionQuery
from tests.helpers import wait_until

from .seeding import seed_daemon, seed_mix, seed_worker


def scrape(web, **headers) -> dict:
    """``{family name: {(sample name, labels...): value}}`` of one scrape."""
    response = web.client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    out = {}
    for family in text_string_to_metric_families(response.text):
        out[family.name] = {(s.name, tuple(sorted(s.labels.items()))): s.value
                            for s in family.samples}
    return out


def sample(families: dict, family: str, name: str, **labels) -> float | None:
    return families.get(family, {}).get((name, tuple(sorted(labels.items()))))


def test_session_counts_and_crash_free_rates_match_the_rollups(web):
    product, _ = seed_mix(web)
    families = scrape(web)
    rollups = [r for r in web.store.products() if r["product"] == product]
    assert len(rollups) == 2
    for rollup in rollups:
        pv = {"product": product, "version": rollup["version"]}
        for status in STATUSES:
            got = sample(families, "datacat_sessions", "datacat_sessions", **pv, status=status)
            assert got == rollup["by_status"].get(status, 0), (status, rollup)
        crashed = rollup["by_status"].get("crashed", 0)
        assert sample(families, "datacat_session_crash_free_ratio",
                      "datacat_session_crash_free_ratio", **pv) == 1 - crashed / rollup["total"]


def _hang_figures_from_store(web, product: str) -> dict:
    out = {}
    for session in web.store.iter_sessions(SessionQuery(product=product, limit=100)):
        stats = out.setdefault(session["version"], {"total": 0, "ever": 0, "episodes": 0})
        stats["total"] += 1
        stats["ever"] += bool(session["hangs"])
        stats["episodes"] += len(session["hangs"])
    return out


def test_hang_figures_match_the_sessions_hang_episodes(web):
    product, _ = seed_mix(web)
    expected = _hang_figures_from_store(web, product)
    assert expected["1.0"] == {"total": 5, "ever": 1, "episodes": 2}

    def figures_match():
        families = scrape(web)
        for version, stats in expected.items():
            pv = {"product": product, "version": version}
            got = (sample(families, "datacat_sessions_ever_hung", "datacat_sessions_ever_hung", **pv),
                   sample(families, "datacat_hang_episodes", "datacat_hang_episodes", **pv),
                   sample(families, "datacat_session_hang_free_ratio",
                          "datacat_session_hang_free_ratio", **pv))
            if got != (stats["ever"], stats["episodes"], 1 - stats["ever"] / stats["total"]):
                return False
        return True

    wait_until(figures_match, 15, message="hang figures from the index")


def test_daemon_counters_come_from_the_liveness_records(web):
    stats = {"frames_in": 40, "records_in": 900, "bytes_in": 12345, "batches_out": 7,
             "acked": 6, "resends": 1, "duplicates": 0, "rejected": 1, "retried": 2,
             "client_dropped": 3, "outbox": 1, "sessions": 2, "watched": 2, "spool_bytes": 4096,
             "frames_rejected": {"bad_frame": 2, "too_big": 1}, "drops": {"debug": 7}}
    seed_daemon(web, "d-metrics", stats)
    families = scrape(web)
    labels = {"daemon": "d-metrics", "host": "host-d-metrics"}
    assert sample(families, "datacat_daemon_records_received",
                  "datacat_daemon_records_received_total", **labels) == 900
    assert sample(families, "datacat_daemon_batches_sent",
                  "datacat_daemon_batches_sent_total", **labels) == 7
    assert sample(families, "datacat_daemon_client_dropped_records",
                  "datacat_daemon_client_dropped_records_total", **labels) == 3
    assert sample(families, "datacat_daemon_frames_rejected", "datacat_daemon_frames_rejected_total",
                  **labels, reason="bad_frame") == 2
    assert sample(families, "datacat_daemon_outbox_batches", "datacat_daemon_outbox_batches",
                  **labels) == 1
    assert sample(families, "datacat_daemon_spool_bytes", "datacat_daemon_spool_bytes",
                  **labels) == 4096
    assert sample(families, "datacat_daemon_spool_dropped_records",
                  "datacat_daemon_spool_dropped_records_total", **labels, reason="debug") == 7
    record = next(d for d in web.store.daemons() if d["id"] == "d-metrics")
    assert sample(families, "datacat_daemon_last_seen_timestamp_seconds",
                  "datacat_daemon_last_seen_timestamp_seconds", **labels) == record["last_seen"]
    assert sample(families, "datacat_daemons", "datacat_daemons") == len(web.store.daemons())


def test_ingest_counters_come_from_the_worker_records(web):
    counters = {"batches": 12, "applied": 9, "duplicates": 1, "errors": 1, "events": 340,
                "patches": 20, "lost": 2, "rejected:bad_envelope": 1, "rejected_parts:bad_field": 3,
                "records_invalid:too_deep": 4}
    record = seed_worker(web, "w-metrics", counters, lag=0.75)
    families = scrape(web)
    labels = {"worker": "w-metrics", "host": "host-w-metrics"}
    for family, value in (("datacat_ingest_batches_received", 12), ("datacat_ingest_events_stored", 340),
                          ("datacat_ingest_sessions_lost", 2), ("datacat_ingest_batch_errors", 1)):
        assert sample(families, family, family + "_total", **labels) == value, family
    assert sample(families, "datacat_ingest_batches_rejected", "datacat_ingest_batches_rejected_total",
                  **labels, reason="bad_envelope") == 1
    assert sample(families, "datacat_ingest_session_parts_rejected",
                  "datacat_ingest_session_parts_rejected_total", **labels, reason="bad_field") == 3
    assert sample(families, "datacat_ingest_event_rows_rejected",
                  "datacat_ingest_event_rows_rejected_total", **labels, reason="too_deep") == 4
    assert sample(families, "datacat_ingest_lag_seconds", "datacat_ingest_lag_seconds", **labels) == 0.75
    assert sample(families, "datacat_ingest_last_seen_timestamp_seconds",
                  "datacat_ingest_last_seen_timestamp_seconds", **labels) == record["last_seen"]
    assert sample(families, "datacat_ingest_workers", "datacat_ingest_workers") == len(web.store.workers())


def test_the_web_process_reports_itself(web):
    families = scrape(web)
    assert sample(families, "datacat_web_process_resident_memory_bytes",
                  "datacat_web_process_resident_memory_bytes") > 0
    assert "datacat_web_auth_failures" in families


def test_openmetrics_is_served_when_asked(web):
    response = web.client.get("/metrics", headers={"accept": "application/openmetrics-text"})
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.rstrip().endswith("# EOF")
