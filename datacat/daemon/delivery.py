"""The daemon's durable side: frame journal, batch spool and the spool's byte bound."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..protocol import encode_batch, read_spooled
from .compact import merge_batches
from .journal import Journal
from .spool import BatchSpool, SpoolEntry

__all__ = ["SpoolSettings", "Delivery"]

log = logging.getLogger("datacat.daemon.delivery")

#: Pressure stages, mildest first: (event levels that go, whether metric aggregates go).
#: Stage one only rolls metric points up into aggregates spanning the merged windows.
_SHED = frozenset({"debug", "info", "warning"})
STAGES = ((frozenset(), False), (frozenset({"debug"}), False), (frozenset({"debug", "info"}), False),
          (_SHED, False), (_SHED, True))
CHUNK_BATCHES = 64
CHUNK_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class SpoolSettings:
    directory: Path
    max_bytes: int = 256 * 1024 * 1024
    group_commit: float = 0.1  # seconds a received frame may wait before it is on disk
    sync: bool = True  # fdatasync each commit (survives power loss, not only a killed daemon)


class Delivery:
    """Frames are journaled as they arrive; batches are spooled until acked."""

    def __init__(self, settings: SpoolSettings):
        self.settings = settings
        self.journal = Journal(settings.directory / "journal", settings.sync)
        self.spool = BatchSpool(settings.directory / "batches", settings.sync)
        self.drops: Counter = Counter()
        self._first_pending: float | None = None

    def record(self, frame: bytes, now: float) -> None:
        """Journal an accepted frame (on disk within the group-commit window)."""
        self.journal.append(frame)
        if self._first_pending is None:
            self._first_pending = now

    def commit_due(self, now: float) -> bool:
        return self._first_pending is not None and \
            now - self._first_pending >= self.settings.group_commit

    def commit(self) -> None:
        """Write journaled frames; if the disk refuses, they wait for the next frame's window
        or the next batch (see ``Journal.commit``)."""
        self.journal.commit()
        self._first_pending = None

    def replay(self) -> Iterator[bytes]:
        """Frames received by an earlier run but never batched, oldest first."""
        return self.journal.replay(self.spool.replay_offset())

    def spool_batch(self, daemon_id: str, seq: int, payload: bytes,
                    head_sent: bool = True) -> SpoolEntry:
        """Spool a batch built from every frame journaled so far; then keep within the bound.

        ``head_sent``: the oldest batch went to the tier at least once, so it may have been
        applied and must stay as it is.
        """
        self.journal.covered()
        self.spool.persist_held()
        offset = self.journal.end
        entry = self.spool.put(daemon_id, seq, offset, payload)
        self.spool.save_checkpoint(offset)
        self.journal.truncate_before(offset)
        if self.bytes() > self.settings.max_bytes:
            self.relieve_pressure(head_sent)
        return entry

    def bytes(self) -> int:
        return self.spool.bytes + self.journal.size()

    def _chunks(self, skip_head: bool) -> list[list[SpoolEntry]]:
        """Runs of consecutive spooled batches of one daemon (past the head if it was sent)."""
        chunks: list[list[SpoolEntry]] = []
        for entry in list(self.spool.entries)[1 if skip_head else 0:]:
            last = chunks[-1] if chunks else None
            if last and last[-1].daemon_id == entry.daemon_id and len(last) < CHUNK_BATCHES \
                    and sum(e.size for e in last) + entry.size <= CHUNK_BYTES:
                last.append(entry)
            else:
                chunks.append([entry])
        return chunks

    def relieve_pressure(self, head_sent: bool = True) -> None:
        """Oldest first, until under 80% of the bound: roll metric points up, then drop debug,
        info and warning events, then metric aggregates.

        Open, state, lifecycle and error events are never dropped; if they alone exceed the
        bound, the spool stays over it and says so.
        """
        target = self.settings.max_bytes * 0.8
        for levels, metrics in STAGES:
            for chunk in self._chunks(head_sent):
                if not levels and len(chunk) == 1:
                    continue
                payloads = [self.spool.load(e) for e in chunk]
                if None in payloads:  # damaged: quarantined and gone from the spool
                    continue
                batches = [read_spooled(payload) for payload in payloads]
                merged, drops = merge_batches(batches, levels, metrics)
                self.drops.update(drops)
                self.spool.replace(chunk, chunk[-1].daemon_id, chunk[-1].seq, encode_batch(merged))
                if self.bytes() <= target:
                    return
        if self.bytes() > self.settings.max_bytes:
            log.warning("spool holds %d bytes of records it never drops (bound %d)",
                        self.bytes(), self.settings.max_bytes)

    def stats(self) -> dict:
        drops = self.drops + self.spool.drops
        for reason, skipped in self.journal.damage.items():
            drops[f"journal_damaged_bytes:{reason}"] += skipped
        return {"spool_bytes": self.bytes(), "spool_batches": len(self.spool.entries),
                "spool_held_in_memory": self.spool.held, "journal_pending": self.journal.pending,
                "disk_write_failures": self.spool.write_failures + self.journal.write_failures,
                "drops": dict(drops)}

    def close(self) -> None:
        self.commit()
        self.journal.close()
