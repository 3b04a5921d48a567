"""Daemon metrics from the liveness records ingest keeps (``Store.daemons()``).

Each batch a daemon sends carries its counters (``stats``); the latest is stored with its
``last_seen`` time. Counters restart when a daemon restarts (Prometheus treats that as a
reset); a daemon retired for silence drops out.
"""

from __future__ import annotations

from .peers import PeerKind

__all__ = ["DAEMONS"]


def _numbers(record: dict) -> dict:
    stats = record.get("stats") if isinstance(record.get("stats"), dict) else {}
    return {**stats, "last_seen": record.get("last_seen")}


DAEMONS = PeerKind(
    label="daemon", count=("datacat_daemons", "Daemons heard from and not retired."),
    numbers=_numbers,
    counters={
        "frames_in": ("datacat_daemon_frames_received", "Frames received from client SDKs."),
        "records_in": ("datacat_daemon_records_received", "Records received from client SDKs."),
        "bytes_in": ("datacat_daemon_received_bytes", "Bytes received from client SDKs."),
        "client_dropped": ("datacat_daemon_client_dropped_records",
                           "Records the SDKs dropped before sending (their queue was full)."),
        "batches_out": ("datacat_daemon_batches_sent", "Batches sent to the tier (first tries)."),
        "bytes_out": ("datacat_daemon_sent_bytes", "Bytes of batches sent to the tier."),
        "acked": ("datacat_daemon_batches_acked", "Batches the tier acknowledged (any outcome)."),
        "resends": ("datacat_daemon_batch_resends", "Batches sent again after a late ack."),
        "duplicates": ("datacat_daemon_batches_duplicate", "Batches the tier had applied already."),
        "rejected": ("datacat_daemon_batches_rejected", "Batches the tier rejected as invalid."),
        "retried": ("datacat_daemon_batches_retried", "Batches the tier could not store yet."),
    },
    gauges={
        "last_seen": ("datacat_daemon_last_seen_timestamp_seconds",
                      "When ingest last stored a batch from the daemon (lag: time() - this)."),
        "outbox": ("datacat_daemon_outbox_batches", "Batches waiting for an ack (backlog)."),
        "spool_bytes": ("datacat_daemon_spool_bytes", "Bytes in the daemon's disk spool."),
        "spool_batches": ("datacat_daemon_spool_batches", "Batches in the daemon's disk spool."),
        "journal_pending": ("datacat_daemon_journal_pending_frames",
                            "Frames received but not yet committed to the journal."),
        "sessions": ("datacat_daemon_sessions", "Sessions with data in the daemon's window."),
        "watched": ("datacat_daemon_watched_sessions", "Sessions whose process the daemon watches."),
    },
    by_reason={
        "frames_rejected": ("datacat_daemon_frames_rejected",
                            "Client frames the daemon rejected, by reason."),
        "drops": ("datacat_daemon_spool_dropped_records",
                  "Records dropped from a full spool (oldest, least important first), by kind."),
    },
)
