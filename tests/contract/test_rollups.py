"""Store contract: rollups."""

from __future__ import annotations

from .support import CRASH, END, HANG, RECOVER, T0, listed, opened, rollups


def test_products_rollups_follow_status_changes(store, feed):
    feed.send({f"g{i}": {"open": opened("game", "1.0")} for i in range(4)}
              | {"h": {"open": opened("game", "2.0")}, "t": {"open": opened("tool", "1.0")}})
    assert rollups(store) == {("game", "1.0"): (4, {"active": 4}),
                              ("game", "2.0"): (1, {"active": 1}),
                              ("tool", "1.0"): (1, {"active": 1})}
    feed.send({"g0": {"lifecycle": [END]}, "g1": {"lifecycle": [CRASH]},
               "g2": {"lifecycle": [HANG]}, "h": {"lifecycle": [HANG, RECOVER]}})
    assert rollups(store) == {("game", "1.0"): (4, {"active": 1, "ended": 1, "crashed": 1,
                                                    "hung": 1}),
                              ("game", "2.0"): (1, {"active": 1}),
                              ("tool", "1.0"): (1, {"active": 1})}
    feed.send({"g0": {"lifecycle": [CRASH]}, "g2": {"lifecycle": [RECOVER, END]},
               "g3": {"lifecycle": [HANG]}, "t": {"lifecycle": [HANG]}})
    feed.send({"g3": {"lifecycle": [CRASH]}, "t": {"beat": T0 + 99}})
    assert rollups(store) == {("game", "1.0"): (4, {"ended": 2, "crashed": 2}),
                              ("game", "2.0"): (1, {"active": 1}),
                              ("tool", "1.0"): (1, {"hung": 1})}


def test_a_late_open_files_the_session_under_its_product(store, feed):
    feed.send({"s": {"events": [{"ts": T0, "name": "before_open"}]}})
    assert store.get_session("s")["product"] == "unknown"
    feed.send({"s": {"open": opened("game", "3.0")}})
    assert store.get_session("s")["product"] == "game"
    assert listed(store, product="game") == ["s"]
    assert listed(store, product="game", version="3.0") == ["s"]
    assert listed(store, product="unknown") == []
    assert listed(store) == ["s"]
    feed.send({"s": {"lifecycle": [END]}})
    assert rollups(store) == {("unknown", "unknown"): (0, {}), ("game", "3.0"): (1, {"ended": 1})}


def test_reopening_under_other_products_lists_the_session_once(store, feed):
    for product, version in [("a", "1"), ("b", "1"), ("a", "2"), ("a", "1")]:
        feed.send({"s": {"open": opened(product, version)}, "other": {"open": opened(product)}})
    assert listed(store) == ["other", "s"]
    assert listed(store, product="a") == ["other", "s"]
    assert listed(store, product="a", version="1") == ["s"]
    assert listed(store, product="b") == []
    assert rollups(store)[("a", "1")] == (1, {"active": 1})
    assert {pair: total for pair, (total, _) in rollups(store).items()} == {
        ("a", "1"): 1, ("b", "1"): 0, ("a", "2"): 0, ("a", "1.0"): 1, ("b", "1.0"): 0}
