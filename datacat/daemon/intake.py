"""Client frames into the daemon: decode, journal, fold into windows, tell the watcher."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

from ..protocol import ProtocolError, decode_frame
from .delivery import Delivery
from .watch import Watcher
from .window import Windows

__all__ = ["Intake"]

log = logging.getLogger("datacat.daemon")


@dataclass
class Intake:
    """Accepts frames; a frame that breaks the protocol is counted by reason and dropped."""

    windows: Windows
    watcher: Watcher
    delivery: Delivery
    frames_in: int = 0
    records_in: int = 0
    bytes_in: int = 0
    rejected: Counter = field(default_factory=Counter)
    client_dropped: dict = field(default_factory=dict)  # client id -> records it could not keep
    seen: dict = field(default_factory=dict)  # client id -> last frame seq accepted

    def take(self, data: bytes, now: float, replayed: bool = False) -> int:
        """Accept one frame (``replayed``: read back from the journal); returns its records."""
        if not replayed:
            self.frames_in += 1
            self.bytes_in += len(data)
        try:
            frame = decode_frame(data)
        except ProtocolError as exc:
            self.rejected[exc.reason] += 1
            log.warning("rejected a client frame: %s", exc)
            return 0
        if not replayed:
            self.delivery.record(data, now)
            self.seen[frame.client_id] = max(frame.seq, self.seen.get(frame.client_id, 0))
        if frame.dropped:
            self.client_dropped[frame.client_id] = frame.dropped
        add, note = self.windows.add, self.watcher.on_record
        for record in frame.records:
            add(record)
            for made in note(record, now):
                add(made)
        self.records_in += len(frame.records)
        return len(frame.records)

    def stats(self) -> dict:
        return {"frames_in": self.frames_in, "records_in": self.records_in,
                "bytes_in": self.bytes_in, "frames_rejected": dict(self.rejected),
                "client_dropped": sum(self.client_dropped.values())}
