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
