"""The daemon's intake: frames in, rejects counted, clients remembered within a bound."""

from __future__ import annotations

import pytest

from datacat.daemon import intake as intake_module
from datacat.daemon.delivery import Delivery, SpoolSettings
from datacat.daemon.intake import Intake
from datacat.daemon.watch import Watcher
from datacat.daemon.window import Windows
from datacat.protocol import Kind, encode_frame

EVENT = [Kind.EVENT, "s-1", 1.0, "e", "info", None, [], None, None, None]


def make(tmp_path) -> Intake:
    return Intake(Windows(), Watcher(), Delivery(SpoolSettings(tmp_path, sync=False)))


def test_frames_are_journaled_folded_and_bad_ones_counted(tmp_path):
    intake = make(tmp_path)
    assert intake.take(encode_frame("c", 1, 0, [EVENT, EVENT]), now=0.0) == 2
    assert intake.take(b"\xc1garbage", now=0.0) == 0
    assert intake.take(encode_frame("c", 1, {}, [EVENT]), now=0.0) == 0  # seen: a duplicate
    bad = [Kind.STATE, "s-1", 1.0, 5]  # the patch is not a map (event rows: checked by the tier)
    assert intake.take(encode_frame("c", 2, {"queue_full": 3}, [EVENT, bad, EVENT]), now=0.0) == 2
    assert intake.stats() == {"frames_in": 4, "records_in": 4, "bytes_in": intake.bytes_in,
                              "frames_rejected": {"malformed": 1},
                              "records_invalid": {"bad_field": 1}, "duplicate_frames": 1,
                              "gap_frames": 0,
                              "client_dropped": 3, "client_dropped_by_reason": {"queue_full": 3}}
    assert intake.delivery.journal.pending == 2
    assert len(intake.windows.sessions["s-1"].rows) == 4


def test_client_drop_counts_add_up_and_old_clients_are_forgotten(tmp_path, monkeypatch):
    monkeypatch.setattr(intake_module, "MAX_CLIENTS", 2)
    intake = make(tmp_path)
    intake.take(encode_frame("a", 1, 5, [EVENT]), now=0.0)
    intake.take(encode_frame("a", 2, 7, [EVENT]), now=0.0)  # cumulative: 2 more
    intake.take(encode_frame("b", 1, 1, [EVENT]), now=0.0)
    intake.take(encode_frame("c", 1, 0, [EVENT]), now=0.0)
    assert intake.client_dropped == 8
    assert intake.last_seq("a") == 0 and intake.last_seq("b") == 1 and intake.last_seq("c") == 1


def test_a_frame_after_a_gap_waits_for_its_client_to_resume_and_resend(tmp_path):
    intake = make(tmp_path)
    intake.take(encode_frame("c", 1, 0, [EVENT]), now=0.0)
    # frames 2 and 3 died with an earlier daemon: 4 must not overtake them
    assert intake.take(encode_frame("c", 4, 0, [EVENT]), now=0.0) == 0
    assert intake.gap_frames == 1 and intake.last_seq("c") == 1
    intake.resume("c", 2)  # the client says an earlier daemon had frame 2 on disk
    assert [intake.take(encode_frame("c", seq, 0, [EVENT]), now=0.0) for seq in (3, 4)] == [1, 1]
    assert intake.last_seq("c") == 4
    intake.resume("c", 1)  # never moves back
    assert intake.last_seq("c") == 4


def test_a_dead_process_spill_file_is_taken_whatever_came_before(tmp_path):
    intake = make(tmp_path)
    assert intake.take(encode_frame("c", 7, 0, [EVENT]), now=0.0, in_order=False) == 1
    assert intake.last_seq("c") == 7


def test_a_resent_frame_is_skipped_from_its_head_alone(tmp_path, monkeypatch):
    intake = make(tmp_path)
    frame = encode_frame("c", 1, 0, [EVENT])
    assert intake.take(frame, now=0.0) == 1
    decoded = []
    for name in ("decode_frame", "split_frame"):
        monkeypatch.setattr(intake_module, name, lambda *a, **k: decoded.append(1)
                            or pytest.fail("decoded a duplicate"))
    assert intake.take(frame, now=0.0) == 0
    assert intake.duplicate_frames == 1 and not decoded


def test_windows_are_full_by_records_or_by_the_bytes_of_their_frames(tmp_path, monkeypatch):
    from datacat.daemon import window
    from datacat.protocol import encode_batch
    monkeypatch.setattr(window, "MAX_BYTES", 1_000_000)
    intake = make(tmp_path)
    big = [Kind.EVENT, "s-1", 1.0, "e", "info", None, [], "x" * 10_000, None, None]
    seq, sent = 0, 0
    while not intake.windows.full():  # the daemon builds a batch as soon as they are full
        seq += 1
        frame = encode_frame("c", seq, 0, [big] * 10)
        intake.take(frame, now=0.0)
        sent += len(frame)
    assert intake.windows.pending_records == 10 * seq < window.MAX_RECORDS
    assert intake.windows.pending_bytes == sent >= 1_000_000 > sent - len(frame)
    batch = encode_batch({"v": 2, "daemon_id": "d", "key": "k", "seq": 1, "host": "h",
                          "sent_at": 0.0, "stats": {}, "sessions": intake.windows.build()})
    assert len(batch) <= sent + 1_000  # a batch is about the size of the frames it holds
    assert (intake.windows.pending_bytes, intake.windows.full()) == (0, False)
