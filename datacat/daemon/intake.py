"""Client frames into the daemon: decode, journal, fold into windows, tell the watcher."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

from ..protocol import ProtocolError, decode_frame, frame_sender, split_frame
from .delivery import Delivery
from .watch import UNWATCHED_KINDS, Watcher
from .window import Windows

__all__ = ["Intake"]

log = logging.getLogger("datacat.daemon")

MAX_CLIENTS = 10_000  # app processes remembered for flush handshakes


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
    client_dropped: int = 0  # records the SDKs could not keep, all clients together
    client_drops: Counter = field(default_factory=Counter)  # the same, by reason
    invalid: Counter = field(default_factory=Counter)  # records left out of accepted frames
    duplicate_frames: int = 0  # frames this daemon had already (a resend or a spill file)
    gap_frames: int = 0  # frames left for their client to resend: ones before them are missing
    seen: dict = field(default_factory=dict)  # client id -> (last frame seq, its drop counts)

    def take(self, data: bytes, now: float, replayed: bool = False, in_order: bool = True) -> int:
        """Accept one frame (``replayed``: read back from the journal); returns its records.

        A frame not newer than the last one taken from its client is a duplicate and skipped;
        a journal replay is always taken (those frames were never batched). With ``in_order``
        (a live client), a frame after a gap is left out too: the frames before it died with
        an earlier daemon, and the client sends them all again once it hears of it (``resume``),
        so its records keep their order. A dead process's spill file is taken as it is.
        """
        if not replayed:
            self.frames_in += 1
            self.bytes_in += len(data)
            sender = frame_sender(data)  # a resent frame it has costs no decoding
            if sender is not None and sender[1] <= self.last_seq(sender[0]):
                self.duplicate_frames += 1
                return 0
        try:  # small events pass as bytes; a frame the split cannot read is decoded whole
            frame = split_frame(data) or decode_frame(data, strict=False)
        except ProtocolError as exc:
            self.rejected[exc.reason] += 1
            log.warning("rejected a client frame: %s", exc)
            return 0
        if not replayed:
            last = self.last_seq(frame.client_id)
            if frame.seq <= last:
                self.duplicate_frames += 1
                return 0
            if in_order and frame.seq != last + 1:
                self.gap_frames += 1
                return 0
            self.delivery.record(data, now)
        self._note_client(frame.client_id, frame.seq, frame.dropped)
        if frame.invalid:
            self.invalid.update(frame.invalid)
            log.warning("left %s invalid records out of a frame of client %s", frame.invalid,
                        frame.client_id)
        add, note = self.windows.add, self.watcher.on_record
        for record in frame.records:
            add(record)
            if record[0] not in UNWATCHED_KINDS:
                for lifecycle in note(record, now):
                    add(lifecycle)
        self.records_in += len(frame.records)
        self.windows.pending_bytes += len(data)
        return len(frame.records)

    def _note_client(self, client_id: str, seq: int, dropped: dict) -> None:
        """Remember the newest ``MAX_CLIENTS`` clients; fold their drop counts into totals."""
        last_seq, last_dropped = self.seen.pop(client_id, (0, {}))
        self.seen[client_id] = (max(seq, last_seq), dropped)  # most recent last
        for reason, total in dropped.items():
            new = max(0, total - last_dropped.get(reason, 0))
            if new:
                self.client_drops[reason] += new
                self.client_dropped += new
        if len(self.seen) > MAX_CLIENTS:
            del self.seen[next(iter(self.seen))]

    def last_seq(self, client_id: str) -> int:
        """The newest frame seq accepted from ``client_id`` (0 if none)."""
        return self.seen.get(client_id, (0, {}))[0]

    def checkpoint(self) -> dict:
        """What ``restore`` needs after a restart: the newest seq per client."""
        return {client: seq for client, (seq, _) in self.seen.items()}

    def resume(self, client_id: str, seq: int) -> None:
        """A client says every frame up to ``seq`` reached a daemon before this one."""
        if seq > self.last_seq(client_id):
            self._note_client(client_id, seq, self.seen.get(client_id, (0, {}))[1])

    def restore(self, seqs: dict) -> None:
        for client, seq in seqs.items():
            if isinstance(client, str) and type(seq) is int:
                self.seen[client] = (max(seq, self.last_seq(client)), {})

    def stats(self) -> dict:
        return {"frames_in": self.frames_in, "records_in": self.records_in,
                "bytes_in": self.bytes_in, "frames_rejected": dict(self.rejected),
                "records_invalid": dict(self.invalid), "duplicate_frames": self.duplicate_frames,
                "gap_frames": self.gap_frames,
                "client_dropped": self.client_dropped,
                "client_dropped_by_reason": dict(self.client_drops)}
