"""Store contract: distinct machines per product and version, and those that crashed there."""

from __future__ import annotations

from .support import CRASH, END, T0, opened


def machines(store) -> dict:
    return {(r["product"], r["version"]): (r["machines"], r["crashed_machines"])
            for r in store.products()}


def test_machines_and_crashed_machines_are_counted_once_per_version(store, feed):
    feed.send({"a": {"open": opened(version="1.0", machine_id="m1")},
               "b": {"open": opened(version="1.0", machine_id="m1")},
               "c": {"open": opened(version="1.0", machine_id="m2")},
               "d": {"open": opened(version="2.0", machine_id="m1")},
               "e": {"open": opened(version="2.0")}})  # no machine id: no machine
    assert machines(store) == {("game", "1.0"): (2, 0), ("game", "2.0"): (1, 0)}
    feed.send({"a": {"lifecycle": [CRASH]}, "b": {"lifecycle": [END]},
               "e": {"lifecycle": [CRASH]}})
    feed.send({"b": {"beat": T0 + 50}, "c": {"lifecycle": [END]}})
    assert machines(store) == {("game", "1.0"): (2, 1), ("game", "2.0"): (1, 0)}
    feed.send({"f": {"open": opened(version="1.0", machine_id="m1"), "lifecycle": [CRASH]}})
    assert machines(store) == {("game", "1.0"): (2, 1), ("game", "2.0"): (1, 0)}
