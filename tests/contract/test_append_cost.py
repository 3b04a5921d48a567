"""Store contract: appends stay flat (counted in bytes written, never timed)."""

from __future__ import annotations

import pytest

from .support import T0, opened


def test_append_writes_do_not_grow_with_the_session(store, feed):
    kv = getattr(store, "_kv", None)
    if kv is None:
        pytest.skip("measured on key-value backed stores")
    written: list[int] = []
    write_many = kv.write_many

    def counting(items):
        written.append(sum(len(key) + len(value or b"") for key, value in items.items()))
        return write_many(items)

    kv.write_many = counting
    feed.send({"s": {"open": opened()}})

    def append_one(i: int) -> int:
        # fixed-width values (floats), so that only the stream's length differs
        feed.send({"s": {"events": [{"ts": T0 + i, "name": "tick"}],
                         "state": [[T0 + i, {"i": float(i)}]]}})
        return written[-1]

    early = [append_one(i) for i in range(256)]  # one whole block, from its first item
    feed.send({"s": {"events": [{"ts": T0 + i, "name": "tick"} for i in range(256, 2048)],
                     "state": [[T0 + i, {"i": float(i)}] for i in range(256, 2048)]}})
    late = [append_one(i) for i in range(2048, 2048 + 256)]  # the same positions, 8 blocks on
    assert store.get_session("s")["event_count"] == 2048 + 256
    # the same within the few bytes a wider seq number takes (a rewrite would be ~9x)
    assert max(late) <= max(early) * 1.05
    assert sum(late) <= sum(early) * 1.05
