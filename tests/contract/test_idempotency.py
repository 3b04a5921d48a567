"""Store contract: idempotency keys (``SessionTxn.get_idempotent`` / ``put_idempotent``), kept
per session in the session's own atomic step."""

from __future__ import annotations

import pytest

from datacat.broker.apply import apply
from datacat.broker.store import IDEMPOTENCY_TTL
from datacat.broker.store.kvstore import KVStore

from .support import T0, opened

ANSWER = {"status": 200, "body": {"session_id": "s"}, "fp": "abc"}


def _put(store, key, answer, now, sid="s"):
    """A write to ``sid`` that stores ``answer`` under ``key`` in its step."""
    apply(store, {"sessions": {sid: {"open": opened(), "beat": now}}},
          before_write=lambda txn: txn.put_idempotent(key, answer, now))


def _get(store, key, now, sid="s"):
    """What a write to ``sid`` finds under ``key`` (the write itself is a heartbeat)."""
    found = []
    apply(store, {"sessions": {sid: {"open": opened(), "beat": now}}},
          before_write=lambda txn: found.append(txn.get_idempotent(key, now)))
    return found[-1]


def test_an_answer_is_found_within_the_ttl_and_not_after(store):
    assert _get(store, "k", T0) is None
    _put(store, "k", ANSWER, T0)
    assert _get(store, "k", T0) == ANSWER
    assert _get(store, "k", T0 + IDEMPOTENCY_TTL) == ANSWER
    assert _get(store, "k", T0 + IDEMPOTENCY_TTL + 1) is None
    assert _get(store, "other", T0) is None


def test_a_key_belongs_to_its_session(store):
    _put(store, "k", ANSWER, T0, sid="s")
    assert _get(store, "k", T0, sid="t") is None
    assert _get(store, "k", T0, sid="s") == ANSWER


def test_the_key_commits_with_the_write_or_not_at_all(store):
    def record_then_fail(txn):
        txn.put_idempotent("k2", ANSWER, T0)
        raise RuntimeError("the write failed")

    with pytest.raises(RuntimeError):
        apply(store, {"sessions": {"t": {"open": opened()}}}, before_write=record_then_fail)
    assert store.get_session("t") is None
    assert _get(store, "k2", T0, sid="t") is None


def test_keys_are_shared_by_every_store_object_on_the_data(open_again):
    first, second = open_again(), open_again()
    _put(first, "shared", ANSWER, T0)
    assert _get(second, "shared", T0 + 1) == ANSWER


def test_odd_keys_and_a_key_put_again_after_expiry(store):
    for key in ("a/b", "ik/x", "\x1f", "é" * 255, "{s}:k:x"):
        _put(store, key, {"n": key}, T0)
        assert _get(store, key, T0) == {"n": key}
    later = T0 + IDEMPOTENCY_TTL + 7200
    _put(store, "a/b", {"n": 2}, later)
    assert _get(store, "a/b", later) == {"n": 2}


def test_expired_keys_are_deleted_by_later_puts(store):
    if not isinstance(store, KVStore):
        pytest.skip("reclaiming space is the backend's own (Redis expires the keys itself)")
    for n in range(300):  # more than one block of keys in one hour
        _put(store, f"old-{n}", ANSWER, T0 + n)
    _put(store, "kept", ANSWER, T0 + IDEMPOTENCY_TTL - 10)  # still live when the hour drops
    _put(store, "new", ANSWER, T0 + IDEMPOTENCY_TTL + 7200)
    raw = store._kv.get_many(["ik/s\x1fold-0", "ik/s\x1fold-299", "ik/s\x1fkept", "ik/s\x1fnew"])
    assert raw[:2] == [None, None] and None not in raw[2:]
