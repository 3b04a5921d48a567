"""Ingest worker metrics from the records each worker publishes (``Store.workers()``).

A worker stores its counters every few seconds; ``rejected:<reason>``,
``rejected_parts:<reason>`` and ``records_invalid:<reason>`` counters become one family
each, labelled by reason.
"""

from __future__ import annotations

from .peers import PeerKind

__all__ = ["WORKERS"]

_BY_REASON = ("rejected", "rejected_parts", "records_invalid")


def _numbers(record: dict) -> dict:
    counters = record.get("counters") if isinstance(record.get("counters"), dict) else {}
    numbers = dict.fromkeys(WORKERS.counters, 0)  # a worker publishes the counters it counted
    numbers.update((key, value) for key, value in counters.items() if ":" not in key)
    for prefix in _BY_REASON:
        numbers[prefix] = {key.split(":", 1)[1]: value for key, value in counters.items()
                           if key.startswith(prefix + ":")}
    return {**numbers, "last_seen": record.get("last_seen"), "lag": record.get("lag")}


WORKERS = PeerKind(
    label="worker", count=("datacat_ingest_workers", "Ingest workers that published counters."),
    numbers=_numbers,
    counters={
        "batches": ("datacat_ingest_batches_received", "Batches received from the broker."),
        "applied": ("datacat_ingest_batches_applied", "Batches written to the store."),
        "duplicates": ("datacat_ingest_batches_duplicate", "Batches applied before (acked again)."),
        "errors": ("datacat_ingest_batch_errors", "Batches the store could not take (resent later)."),
        "events": ("datacat_ingest_events_stored", "Events written to the store."),
        "patches": ("datacat_ingest_state_patches_stored", "State patches written to the store."),
        "lost": ("datacat_ingest_sessions_lost", "Sessions marked lost (their daemon went silent)."),
        "retention_deleted": ("datacat_ingest_sessions_deleted",
                              "Sessions deleted by retention (older than their product's period)."),
    },
    gauges={
        "last_seen": ("datacat_ingest_last_seen_timestamp_seconds",
                      "When the worker last published its counters."),
        "lag": ("datacat_ingest_lag_seconds",
                "Seconds between a daemon sending the worker's latest batch and its storing."),
    },
    by_reason={
        "rejected": ("datacat_ingest_batches_rejected", "Batches rejected as invalid, by reason."),
        "rejected_parts": ("datacat_ingest_session_parts_rejected",
                           "Session parts left out of a batch as invalid, by reason."),
        "records_invalid": ("datacat_ingest_event_rows_rejected",
                            "Event rows left out of a batch as invalid, by reason."),
    },
)
