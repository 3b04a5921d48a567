"""Store contract: per product and version, sessions that ever hung, and distinct machines:
all of them, those with a crashed session, those with a session that ever hung."""

from __future__ import annotations

from .support import CRASH, END, HANG, RECOVER, T0, opened


def health(store) -> dict:
    return {(r["product"], r["version"]): (r["hung_sessions"], r["machines"],
                                           r["crashed_machines"], r["hung_machines"])
            for r in store.products()}


def test_machines_crashes_and_hangs_are_counted_once_per_version(store, feed):
    feed.send({"a": {"open": opened(version="1.0", machine_id="m1")},
               "b": {"open": opened(version="1.0", machine_id="m1")},
               "c": {"open": opened(version="1.0", machine_id="m2")},
               "d": {"open": opened(version="2.0", machine_id="m1")},
               "e": {"open": opened(version="2.0")}})  # no machine id: no machine
    assert health(store) == {("game", "1.0"): (0, 2, 0, 0), ("game", "2.0"): (0, 1, 0, 0)}
    feed.send({"a": {"lifecycle": [CRASH]}, "b": {"lifecycle": [HANG]},
               "e": {"lifecycle": [HANG, RECOVER, CRASH]}})
    feed.send({"b": {"lifecycle": [RECOVER]}, "c": {"lifecycle": [END]}})
    feed.send({"b": {"lifecycle": [HANG]}})  # hung again: the same session, the same machine
    assert health(store) == {("game", "1.0"): (1, 2, 1, 1), ("game", "2.0"): (1, 1, 0, 0)}
    feed.send({"f": {"open": opened(version="1.0", machine_id="m1"),
                     "lifecycle": [HANG, CRASH]}})
    assert health(store) == {("game", "1.0"): (2, 2, 1, 1), ("game", "2.0"): (1, 1, 0, 0)}
    feed.send({"g": {"open": opened(version="1.0", machine_id="m2"), "lifecycle": [HANG]}})
    assert health(store) == {("game", "1.0"): (3, 2, 1, 2), ("game", "2.0"): (1, 1, 0, 0)}


def test_a_hang_over_within_one_batch_counts_and_later_steps_count_nothing_twice(store, feed):
    feed.send({"a": {"open": opened(machine_id="m1")}})
    feed.send({"a": {"lifecycle": [HANG, RECOVER]}})  # "active" before and after
    for n in range(3):
        feed.send({"a": {"beat": T0 + n}})
    assert health(store) == {("game", "1.0"): (1, 1, 0, 1)}
