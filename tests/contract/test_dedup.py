"""Store contract: dedup."""

from __future__ import annotations

import copy

import pytest

from datacat.broker.apply import apply
from datacat.broker.errors import DuplicateBatch

from .support import ALL, T0, opened, snapshot


def test_same_batch_twice_is_a_duplicate_and_changes_nothing(store, feed):
    part = {"open": opened(), "state": [[T0, {"a": 1}]], "events": [{"ts": T0, "name": "e"}]}
    feed.send({"s": part}, seq=5)
    before = snapshot(store, "s")
    with pytest.raises(DuplicateBatch):
        feed.send({"s": copy.deepcopy(part)}, seq=5)
    with pytest.raises(DuplicateBatch):  # an older seq: applied before, or superseded
        feed.send({"s": {"events": [{"ts": T0, "name": "late"}]}, "t": {"open": opened()}},
                  seq=4)
    assert snapshot(store, "s", "t") == {**before, "sessions": {**before["sessions"],
                                                               "t": (None, {}, [], [], [])}}
    feed.send({"s": {"events": [{"ts": T0, "name": "next"}]}}, seq=6)
    assert [e["name"] for e in store.read("events", "s", 0, ALL)] == ["e", "next"]


def test_another_daemons_same_seq_applies(store, feed):
    feed.send({"s": {"open": opened(), "events": [{"ts": T0, "name": "one"}]}}, seq=1)
    feed.send({"s": {"events": [{"ts": T0, "name": "two"}]}}, seq=1, daemon_id="daemon-2")
    assert [e["name"] for e in store.read("events", "s", 0, ALL)] == ["one", "two"]
    with pytest.raises(DuplicateBatch):
        feed.send({"s": {"events": [{"ts": T0, "name": "three"}]}}, seq=1, daemon_id="daemon-2")


def test_seq_may_skip_ahead(store, feed):
    feed.send({"s": {"open": opened()}}, seq=1)
    feed.send({"s": {"beat": T0}}, seq=1000)
    with pytest.raises(DuplicateBatch):
        feed.send({"s": {"beat": T0}}, seq=999)


def test_batch_without_daemon_id_is_not_deduplicated(store):
    batch = {"sessions": {"s": {"open": opened(), "events": [{"ts": T0, "name": "e"}]}}}
    apply(store, copy.deepcopy(batch), now=T0)
    apply(store, copy.deepcopy(batch), now=T0 + 1)  # REST writes carry no (daemon_id, seq)
    assert store.get_session("s")["event_count"] == 2


def test_a_seq_far_beyond_the_last_applied_one_is_rejected_and_writes_nothing(store, feed):
    from datacat.broker.errors import InvalidBatch
    from datacat.broker.store.dedup import SEQ_WINDOW

    feed.send({"s": {"open": opened()}}, seq=7)
    before = snapshot(store, "s", "t")
    with pytest.raises(InvalidBatch) as rejected:
        feed.send({"s": {"events": [{"ts": T0, "name": "forged"}]}, "t": {"open": opened()}},
                  seq=7 + SEQ_WINDOW + 1)
    assert rejected.value.reason == "seq_out_of_window"
    assert snapshot(store, "s", "t") == before
    feed.send({"s": {"events": [{"ts": T0, "name": "edge"}]}}, seq=7 + SEQ_WINDOW)  # the edge
    with pytest.raises(DuplicateBatch):  # and the window moved with it
        feed.send({"s": {"beat": T0}}, seq=8)
    assert [e["name"] for e in store.read("events", "s", 0, ALL)] == ["edge"]


def test_an_unknown_daemons_first_seq_is_taken_wherever_it_starts(store, feed):
    feed.send({"s": {"open": opened()}}, seq=2**62, daemon_id="daemon-new")
    feed.send({"s": {"beat": T0}}, seq=2**62 + 1, daemon_id="daemon-new")
    assert store.get_session("s")["last_heartbeat"] == T0


def test_seqs_beyond_double_precision_stay_exact(store, feed):
    feed.send({"s": {"open": opened()}}, seq=2**62, daemon_id="daemon-big")
    feed.send({"s": {"beat": T0}}, seq=2**62 + 1, daemon_id="daemon-big")
    with pytest.raises(DuplicateBatch):
        feed.send({"s": {"beat": T0 + 1}}, seq=2**62 + 1, daemon_id="daemon-big")
    assert store.get_session("s")["last_heartbeat"] == T0
