"""Store contract: ``apply_each``, the group commit of REST writes (many requests, one call).

Every write keeps its own outcome, every event is stored once and in the order given per
session, on every backend.
"""

from __future__ import annotations

from datacat.broker.apply import Write, apply_each
from datacat.broker.errors import InvalidBatch, StoreError, UnknownSession
from datacat.web.idempotency import Guard, Replay

from .support import T0, opened


def _event(name: str) -> dict:
    return {"ts": T0, "name": name, "level": "info"}


def _events(store, sid: str) -> list[str]:
    return [(event["seq"], event["name"]) for event in store.read("events", sid, 0, 1000)]


def test_interleaved_writes_to_several_sessions_are_each_stored_once_in_order(store):
    apply_each(store, [Write(sid, {"open": opened()}, T0) for sid in ("a", "b", "c")])
    writes = [Write(sid, {"events": [_event(f"{sid}{n}")]}, T0 + n, existing=True)
              for n in range(20) for sid in ("a", "b", "a", "c")]
    apply_each(store, writes)
    assert [write.error for write in writes] == [None] * len(writes)
    assert _events(store, "b") == [(n, f"b{n}") for n in range(20)]
    assert _events(store, "c") == [(n, f"c{n}") for n in range(20)]
    names = [name for _, name in _events(store, "a")]
    assert names == [f"a{n}" for n in range(20) for _ in range(2)]
    assert [seq for seq, _ in _events(store, "a")] == list(range(40))
    assert store.get_session("a")["event_count"] == 40


def test_a_bad_write_fails_alone(store):
    apply_each(store, [Write("a", {"open": opened()}, T0)])
    writes = [Write("a", {"events": [_event("before")]}, T0, existing=True),
              Write("nobody", {"events": [_event("lost")]}, T0, existing=True),
              Write("a", {"events": [{"ts": T0}]}, T0, existing=True),  # no name: invalid
              Write("b", {"open": opened(), "events": [_event("b")]}, T0),
              Write("a", {"events": [_event("after")]}, T0, existing=True)]
    apply_each(store, writes)
    errors = [type(write.error) if write.error else None for write in writes]
    assert errors == [None, UnknownSession, InvalidBatch, None, None]
    assert [name for _, name in _events(store, "a")] == ["before", "after"]
    assert _events(store, "b") == [(0, "b")]
    assert store.get_session("nobody") is None


def test_a_retry_in_the_same_group_is_answered_the_first_answer_and_writes_nothing(store):
    apply_each(store, [Write("a", {"open": opened()}, T0)])
    first, other = Guard("key-1", "fp-1"), Guard("key-2", "fp-2")
    writes = [Write("a", {"events": [_event("once")]}, T0, True, first.before_write({"n": 1})),
              Write("a", {"events": [_event("once")]}, T0, True, first.before_write({"n": 2})),
              Write("a", {"events": [_event("other")]}, T0, True, other.before_write({"n": 3}))]
    apply_each(store, writes)
    assert writes[0].error is None and writes[2].error is None
    assert isinstance(writes[1].error, Replay)
    assert writes[1].error.answer["body"] == {"n": 1}
    assert [name for _, name in _events(store, "a")] == ["once", "other"]


def _failing(store, sid: str, error: Exception):
    """``store.apply_parts`` raising ``error`` in the step of ``sid`` (the one refused)."""
    real = store.apply_parts

    def apply_parts(sids, step, dedup=None):
        def refusing(txn):
            if txn.sid == sid:
                raise error
            step(txn)
        real(sids, refusing, dedup)

    store.apply_parts = apply_parts
    return real


def test_a_write_whose_step_fails_fails_alone(store):
    apply_each(store, [Write(sid, {"open": opened()}, T0) for sid in ("a", "b", "c")])
    real = _failing(store, "b", RuntimeError("b cannot be applied"))
    writes = [Write(sid, {"events": [_event(sid)]}, T0, existing=True) for sid in "abc"]
    apply_each(store, writes)
    store.apply_parts = real
    assert [type(write.error) if write.error else None for write in writes] == \
        [None, RuntimeError, None]
    assert [_events(store, sid) for sid in "abc"] == [[(0, "a")], [], [(0, "c")]]


def test_a_store_failure_is_every_writes_outcome_and_nothing_is_applied_twice(store):
    apply_each(store, [Write(sid, {"open": opened()}, T0) for sid in ("a", "b")])
    real = _failing(store, "b", StoreError("the store is gone"))
    writes = [Write(sid, {"events": [_event(sid)]}, T0, existing=True) for sid in "ab"]
    apply_each(store, writes)
    store.apply_parts = real
    assert all(isinstance(write.error, StoreError) for write in writes)
    assert len(_events(store, "a")) <= 1 and _events(store, "b") == []
