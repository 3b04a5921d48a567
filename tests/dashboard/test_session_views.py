"""The session page's view models: state tree and diff, instants, events list, crash report."""

from __future__ import annotations

from datacat.broker.apply import apply
from datacat.web.dashboard.crash import crash_report, exception_text
from datacat.web.dashboard.events import EventQuery, event_query, find_events
from datacat.web.dashboard.instant import (
    change_at,
    history_index_at,
    instant_for_change,
    instant_for_event,
)
from datacat.web.dashboard.session_page import session_page
from datacat.web.dashboard.statetree import state_tree

from .conftest import T0, add


def marks(nodes, prefix="") -> dict:
    out = {}
    for node in nodes:
        out[prefix + node.key] = (node.mark, node.text, node.old)
        if node.children:
            out.update(marks(node.children, prefix + node.key + "."))
    return out


def test_state_tree_without_a_diff_is_plain_and_sorted():
    nodes, truncated = state_tree({"b": {"y": [1, 2], "x": "s"}, "a": 1})
    assert [n.key for n in nodes] == ["a", "b"] and not truncated
    assert marks(nodes) == {"a": ("", "1", ""), "b": ("", "", ""), "b.x": ("", '"s"', ""),
                            "b.y": ("", "[1, 2]", "")}


def test_state_tree_marks_added_changed_and_removed():
    before = {"hp": 100, "player": {"name": "ada", "xp": 1}, "gone": {"deep": 1}, "same": True}
    after = {"hp": 80, "player": {"xp": 1, "new": [1]}, "scene": {"name": "x"}, "same": True}
    nodes, _ = state_tree(after, before)
    assert marks(nodes) == {
        "gone": ("removed", "", ""), "gone.deep": ("removed", "1", ""),
        "hp": ("changed", "80", "100"),
        "player": ("", "", ""), "player.name": ("removed", '"ada"', ""),
        "player.new": ("added", "[1]", ""), "player.xp": ("", "1", ""),
        "same": ("", "true", ""), "scene": ("added", "", ""), "scene.name": ("added", '"x"', "")}
    by_key = {n.key: n for n in nodes}
    assert by_key["player"].changed_below and not by_key["same"].changed_below
    changed_type, _ = state_tree({"v": 1}, {"v": True})
    assert changed_type[0].mark == "changed"


def test_state_tree_is_cut_off_at_its_limit():
    nodes, truncated = state_tree({f"k{i}": i for i in range(50)}, limit=10)
    assert len(nodes) == 10 and truncated


def test_change_at_replays_patches_that_share_a_time(store):
    add(store, "s", end=None, state=[[T0, {"a": 1}], [T0 + 1, {"b": 1}], [T0 + 1, {"c": 1}],
                                     [T0 + 2, {"a": None}]])
    assert change_at(store, "s", 2) == (T0 + 1, {"a": 1, "b": 1}, {"a": 1, "b": 1, "c": 1}, {"c": 1})
    assert change_at(store, "s", 0) == (T0, {}, {"a": 1}, {"a": 1})
    assert change_at(store, "s", 9) is None
    session = store.get_session("s")
    instant = instant_for_change(store, session, 3)
    assert instant.index == 3 and marks(instant.nodes)["a"] == ("removed", "1", "")
    assert history_index_at(store, "s", 4, T0 + 1.5) == 2
    assert history_index_at(store, "s", 4, T0 - 1) == -1


def test_an_event_instant_shows_the_state_then(store):
    add(store, "s", end=None, state=[[T0, {"level": 1}], [T0 + 5, {"level": 2}]],
        events=[{"ts": T0 - 1, "name": "early", "level": "info"},
                {"ts": T0 + 3, "name": "boss", "level": "warning"}])
    session = store.get_session("s")
    instant = instant_for_event(store, session, 1)
    assert instant.event["name"] == "boss" and instant.ts == T0 + 3 and instant.index == 0
    assert marks(instant.nodes)["level"] == ("added", "1", "")
    early = instant_for_event(store, session, 0)
    assert early.event["name"] == "early" and early.index is None and early.nodes == []
    assert instant_for_event(store, session, 7) is None


def test_events_list_searches_filters_and_pages_backwards(store):
    events = [{"ts": T0 + i, "name": "tick" if i % 2 else "save", "level": "debug" if i % 3 else "error",
               "category": "io" if i % 4 == 0 else None, "message": f"m{i}"} for i in range(30)]
    add(store, "s", end=None, events=events)
    page = find_events(store, "s", 30, EventQuery(), page=10)
    assert [e["seq"] for e in page.items] == list(range(29, 19, -1)) and page.next_before == 20
    older = find_events(store, "s", 30, EventQuery(before=20), page=10)
    assert older.items[0]["seq"] == 19
    saves = find_events(store, "s", 30, EventQuery(q="SAVE", level="error"), page=100)
    assert [e["seq"] for e in saves.items] == [24, 18, 12, 6, 0] and saves.next_before is None
    by_message = find_events(store, "s", 30, EventQuery(q="m2"))
    assert [e["seq"] for e in by_message.items] == [29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 2]
    budget = find_events(store, "s", 30, EventQuery(category="nothing"), budget=1)
    assert budget.items == [] and budget.scanned == 30  # the budget is checked between chunks
    assert event_query({"before": "x", "q": " a "}) == EventQuery(q="a")
    assert event_query({"before": "12"}).before == 12


def test_crash_report_from_the_crash_event(store):
    exception = {"type": "ValueError", "message": "bad", "stacktrace": ["Traceback\n", "  at x\n"],
                 "file": "x.py", "line": 3, "function": "f"}
    events = [{"seq": 0, "name": "tick"},
              {"seq": 1, "name": "session_crashed", "ts": T0 + 9,
               "data": {"reason": "fatal_signal", "traceback": "Fatal Python error: Segmentation fault",
                        "signal": "SIGSEGV", "state": {"at": "crash"}, "events": [{"name": "last"}],
                        "exception": exception}}]
    session = {"status": "crashed", "reason": "fatal_signal", "ended_at": T0 + 9}
    report = crash_report(session, events, {"final": 1})
    assert report.python == "Traceback\n  at x\n" and report.native.startswith("Fatal Python error")
    assert report.signal == "SIGSEGV" and report.state == {"at": "crash"}
    assert report.events == [{"name": "last"}] and report.reason == "fatal_signal"
    assert crash_report({"status": "ended"}, events, {}) is None


def test_crash_report_falls_back_to_the_last_exception_event_and_final_state():
    events = [{"seq": 0, "name": "exception", "exception": {"type": "KeyError", "message": "k",
                                                             "stacktrace": "one text"}},
              {"seq": 1, "name": "tick"}]
    report = crash_report({"status": "crashed", "reason": None}, events, {"final": 1})
    assert report.exception["type"] == "KeyError" and report.python == "one text"
    assert report.state == {"final": 1} and report.events == events and report.reason == "unknown"
    assert exception_text({"type": "E", "message": "m"}) == "E: m"
    assert exception_text(None) == ""


def test_session_page_context(store):
    add(store, "s", end="crash", state=[[T0, {"a": {"b": 1}}]],
        events=[{"ts": T0 + 1, "name": "e", "level": "warning", "category": "io"}],
        metrics=[{"ts": T0 + 1, "name": "fps", "type": "gauge", "count": 1, "sum": 5.0, "min": 5.0,
                  "max": 5.0, "last": 5.0}])
    apply(store, {"sessions": {"s": {"beat": T0 + 2}}})
    context = session_page(store, "s", T0 + 100, EventQuery())
    assert context["header"] == {"duration": 10.0, "machine": "rig-1", "hangs": 0, "live": False}
    assert [m["name"] for m in context["metrics"]] == ["fps"]
    assert context["crash"].reason == "unhandled_exception"
    assert [e["name"] for e in context["events"].items] == ["session_crashed", "e"]
    assert context["levels"] == ["critical", "warning"] and context["categories"] == ["crash", "io"]
    assert [t["name"] for t in context["timeline"]["data"]] == ["state change", "warning", "crash"]
    assert session_page(store, "unknown", T0, EventQuery()) is None
    assert context["state_nodes"][0].key == "a" and context["cut"] == {"events": 0, "changes": 0,
                                                                      "metrics": 0}


def test_a_long_session_shows_its_timeline_from_where_both_tails_overlap(store, monkeypatch):
    from datacat.web.dashboard import session_page as module

    monkeypatch.setattr(module, "TIMELINE_EVENTS", 5)
    monkeypatch.setattr(module, "TIMELINE_CHANGES", 5)
    add(store, "s", end=None, state=[[T0 + 2 * i, {"i": i}] for i in range(10)],
        events=[{"ts": T0 + 3 * i, "name": "e", "level": "info"} for i in range(10)])
    context = module.session_page(store, "s", T0 + 100, EventQuery())
    assert context["since"] == T0 + 15  # changes are there from T0+10, events from T0+15
    rows = {t["name"]: t["customdata"] for t in context["timeline"]["data"]}
    assert rows["state change"] == [["s", 8], ["s", 9]]
    assert rows["info"] == [["e", seq] for seq in range(5, 10)]
