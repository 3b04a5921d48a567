"""Store contract: ``read_session`` and ``get_states`` give what the separate reads give,
in one go."""

from __future__ import annotations

from datacat.merge import deep_merge

from .support import ALL, T0, opened

#: (events, metrics, history) ranges read together; each stream holds 600, 300, 600 items.
RANGES = [
    ((0, 10), (0, 10), (0, 10)),
    ((-1000, 1000), (-1000, 1000), (-1000, 1000)),  # the tail, longer than the stream
    ((-256, 256), (-45, 45), (-300, 300)),  # tails starting on, off a block boundary
    ((250, 12), (255, 258), (256, 256)),  # across a block boundary; exactly one block
    ((-600, 1), (299, 5), (511, 3)),
    ((590, 100), (300, 10), (5000, 10)),  # past the end; at the end; far beyond it
    ((-10, 3), (0, 0), (-5, -1)),  # a tail's head; empty limits
    ((0, ALL), (0, ALL), (0, ALL)),
]


def _fill(feed, sid: str = "s") -> None:
    feed.send({sid: {"open": opened()}})
    for start in range(0, 600, 150):
        feed.send({sid: {
            "events": [{"ts": T0 + i, "name": f"e{i}", "i": i} for i in range(start, start + 150)],
            "metrics": [{"ts": T0 + i, "name": "fps", "type": "gauge", "count": 1, "sum": i,
                         "min": i, "max": i, "last": i} for i in range(start // 2, start // 2 + 75)],
            # patches share timestamps in pairs: the base is exact, not "as of a time"
            "state": [[T0 + i // 2, {"i": i, f"k{i % 5}": {"n": i}, "old": None if i % 3 else i}]
                      for i in range(start, start + 150)],
        }})


def _resolved(start: int, count: int) -> int:
    return max(count + start, 0) if start < 0 else start


def test_read_session_equals_the_separate_reads(store, feed):
    _fill(feed)
    session, state = store.get_session("s"), store.get_state("s")
    assert (session["event_count"], session["metric_count"], session["history_count"]) == (
        600, 300, 600)
    history = store.read("history", "s", 0, ALL)
    for ranges in RANGES:
        asked = dict(zip(("events", "metrics", "history"), ranges))
        found = store.read_session("s", asked, state=True, replay=True)
        assert (found.session, found.state) == (session, state)
        for stream, (start, limit) in asked.items():
            first = _resolved(start, 600 if stream != "metrics" else 300)
            assert found.streams[stream] == (first, store.read(stream, "s", first, limit)), (
                stream, start, limit)
        first, entries = found.streams["history"]
        if not entries:
            assert found.base is None
            continue
        base = {}
        for entry in history[:first]:
            base = deep_merge(base, entry["patch"])
        assert found.base == base, ranges
        for entry in entries:
            base = deep_merge(base, entry["patch"])
        if first + len(entries) == 600:
            assert base == state


def test_read_session_reads_only_what_is_asked(store, feed):
    _fill(feed)
    found = store.read_session("s", {"metrics": (-2, 2)})
    assert (found.state, found.base, list(found.streams)) == (None, None, ["metrics"])
    assert [point["sum"] for point in found.streams["metrics"][1]] == [298, 299]
    bare = store.read_session("s")
    assert (bare.session, bare.state, bare.streams, bare.base) == (
        store.get_session("s"), None, {}, None)


def test_read_session_of_empty_streams_and_unknown_sessions(store, feed):
    feed.send({"new": {"open": opened()}})
    found = store.read_session("new", {name: (-1000, 1000) for name in
                                        ("events", "metrics", "history")}, True, True)
    assert found.session == store.get_session("new")
    assert (found.state, found.base) == ({}, None)
    assert found.streams == {"events": (0, []), "metrics": (0, []), "history": (0, [])}
    assert store.read_session("unknown", {"events": (0, 10)}, state=True, replay=True) is None


def test_get_states_gives_each_sessions_state_in_order(store, feed):
    feed.send({"a": {"open": opened(), "state": [[T0, {"x": 1}], [T0 + 1, {"y": {"z": 2}}]]},
               "b": {"open": opened(), "state": [[T0, {"b": True}]]}, "c": {"open": opened()}})
    sids = ["b", "unknown", "a", "c", "a"]
    assert store.get_states(sids) == [store.get_state(sid) for sid in sids] == [
        {"b": True}, {}, {"x": 1, "y": {"z": 2}}, {}, {"x": 1, "y": {"z": 2}}]
    assert store.get_states([]) == []
