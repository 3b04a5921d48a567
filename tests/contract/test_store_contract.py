"""The ``Store`` contract (``broker/store/base.py``), run against every backend.

Writes go only through ``broker.apply.apply`` (the one write path); reads only through the
public ``Store`` methods. To add a backend, add a ``BACKENDS`` entry.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import pytest

from datacat.broker.apply import apply
from datacat.broker.errors import DuplicateBatch, InvalidBatch
from datacat.broker.store import SessionQuery, open_store
from datacat.merge import deep_merge
from datacat.protocol import Kind

T0 = 1_700_000_000.0
ALL = 10**6  # a read limit larger than any stream here


@dataclass(frozen=True)
class Backend:
    url: object  # tmp_path -> store URL
    persistent: bool  # data outlive the Store object (reopen, several objects on one place)


BACKENDS = {
    "memory": Backend(lambda tmp_path: "memory://", persistent=False),
    "disk": Backend(lambda tmp_path: f"diskcache://{tmp_path / 'store'}", persistent=True),
    # "redis": Backend(lambda tmp_path: os.environ["DATACAT_TEST_REDIS"] + ..., persistent=True)
    # (skip when unset, and give each test its own database or key prefix)
}


@pytest.fixture(params=sorted(BACKENDS))
def backend(request, tmp_path):
    """``(Backend, url)`` for one backend, on a fresh location."""
    spec = BACKENDS[request.param]
    return spec, spec.url(tmp_path)


@pytest.fixture
def store(backend):
    store = open_store(backend[1])
    yield store
    store.close()


@pytest.fixture
def open_again(backend):
    """Opens more ``Store`` objects on the same data; skips backends that cannot."""
    spec, url = backend
    if not spec.persistent:
        pytest.skip("this backend's data live in one Store object")
    opened = []

    def _open():
        opened.append(open_store(url))
        return opened[-1]

    yield _open
    for store in opened:
        store.close()


class Feed:
    """Writes batches through ``apply`` with a fresh ``(daemon_id, seq)`` and a fake clock."""

    def __init__(self, store, daemon_id: str = "daemon-1"):
        self.store, self.daemon_id, self.seq, self.now = store, daemon_id, 0, T0 + 10**6

    def send(self, sessions: dict, seq: int | None = None, daemon_id: str | None = None):
        if seq is None:
            self.seq += 1
            seq = self.seq
        self.now += 1.0
        batch = {"daemon_id": daemon_id or self.daemon_id, "seq": seq, "sessions": sessions}
        return apply(self.store, batch, now=self.now)


@pytest.fixture
def feed(store):
    return Feed(store)


def opened(product: str = "game", version: str = "1.0", ts: float = T0, **extra) -> dict:
    return {"product": product, "version": version, "ts": ts, **extra}


def life(kind: Kind, ts: float, **detail) -> list:
    return [int(kind), ts, detail]


def snapshot(store, *sids: str) -> dict:
    """Everything the public read API says about ``sids`` and the store as a whole."""
    return {
        "sessions": {sid: (store.get_session(sid), store.get_state(sid),
                           *(store.read(stream, sid, 0, ALL)
                             for stream in ("events", "metrics", "history")))
                     for sid in sids},
        "listed": [s["id"] for s in store.iter_sessions(SessionQuery(limit=100))],
        "products": rollups(store),
    }


def rollups(store) -> dict:
    """``products()`` as ``{(product, version): (total, by_status without zeros)}``."""
    return {(r["product"], r["version"]): (r["total"], {k: v for k, v in r["by_status"].items()
                                                       if v})
            for r in store.products()}


def table(cases: list) -> list:
    """``(id, *values)`` rows as ``pytest.param``s."""
    return [pytest.param(*case[1:], id=case[0]) for case in cases]


def listed(store, **filters) -> list[str]:
    return [s["id"] for s in store.iter_sessions(SessionQuery(limit=7, **filters))]


# --- sessions and state --------------------------------------------------------------------


def test_unknown_session_reads_empty(store):
    assert store.get_session("nope") is None
    assert store.get_state("nope") == {}
    assert store.state_at("nope", T0) == {}
    for stream in ("events", "metrics", "history"):
        assert store.read(stream, "nope") == []
    assert store.products() == []
    assert store.list_sessions(SessionQuery()).items == []


def test_create_and_get_session(store, feed):
    open_part = opened(pid=4242, hostname="host-1", machine_id="m-1", tags={"env": "ci"},
                       hang_timeout=30.0)
    result = feed.send({"s1": {"open": open_part}})
    assert result.sessions == 1
    session = store.get_session("s1")
    assert {key: session[key] for key in ("id", "product", "version", "status", "created_at",
                                          "pid", "hostname", "machine_id", "tags",
                                          "hang_timeout", "ended_at", "reason")} == {
        "id": "s1", "product": "game", "version": "1.0", "status": "active",
        "created_at": T0, "pid": 4242, "hostname": "host-1", "machine_id": "m-1",
        "tags": {"env": "ci"}, "hang_timeout": 30.0, "ended_at": None, "reason": None}
    assert session["updated_at"] == feed.now
    assert session["daemon_id"] == "daemon-1"
    assert (session["event_count"], session["metric_count"], session["history_count"]) == (
        0, 0, 0)
    assert store.get_state("s1") == {}


def test_heartbeat_keeps_the_latest(store, feed):
    feed.send({"s": {"open": opened(), "beat": T0 + 5}})
    feed.send({"s": {"beat": T0 + 3}})  # a late, older beat does not move it back
    assert store.get_session("s")["last_heartbeat"] == T0 + 5
    feed.send({"s": {"beat": T0 + 9}})
    assert store.get_session("s")["last_heartbeat"] == T0 + 9


def test_state_merges_across_batches(store, feed):
    feed.send({"s": {"open": opened(), "state": [[T0, {"a": 1, "p": {"hp": 10, "inv": ["x"]}}]]}})
    feed.send({"s": {"state": [[T0 + 1, {"p": {"hp": 9}, "b": 2}]]}})
    feed.send({"s": {"state": [[T0 + 2, {"a": None, "p": {"inv": ["y", "z"]}}],
                               [T0 + 3, {"p": {"pos": {"x": 1}}}]]}})
    assert store.get_state("s") == {"b": 2, "p": {"hp": 9, "inv": ["y", "z"], "pos": {"x": 1}}}
    assert store.get_session("s")["history_count"] == 4
    assert [entry["ts"] for entry in store.read("history", "s", 0, ALL)] == [
        T0, T0 + 1, T0 + 2, T0 + 3]


def test_noop_patches_are_not_logged(store, feed):
    feed.send({"s": {"open": opened(), "state": [[T0, {"a": 1, "n": {"x": [1, 2]}}]]}})
    result = feed.send({"s": {"state": [[T0 + 1, {"a": 1}], [T0 + 2, {"n": {"x": [1, 2]}}],
                                        [T0 + 3, {"gone": None}], [T0 + 4, {}],
                                        [T0 + 5, {"n": {"missing": None}}]]}})
    assert result.patches == 5  # received ...
    assert store.get_session("s")["history_count"] == 1  # ... but none changed anything
    assert store.read("history", "s", 0, ALL) == [{"ts": T0, "patch": {"a": 1, "n": {"x": [1, 2]}}}]
    feed.send({"s": {"state": [[T0 + 6, {"a": 1}], [T0 + 7, {"a": 2}], [T0 + 8, {"a": 2}]]}})
    assert [entry["ts"] for entry in store.read("history", "s", 0, ALL)] == [T0, T0 + 7]


@pytest.mark.parametrize("before,after", [(1, True), (0, False), (1, 1.0), ([1], [True]),
                                          ({"x": 1}, {"x": True})],
                         ids=["int_bool", "zero_false", "int_float", "in_list", "nested"])
def test_type_change_of_an_equal_value_is_not_a_noop(store, feed, before, after):
    feed.send({"s": {"open": opened(), "state": [[T0, {"v": before}]]}})
    feed.send({"s": {"state": [[T0 + 1, {"v": after}]]}})
    assert repr(store.get_state("s")["v"]) == repr(after)
    assert store.get_session("s")["history_count"] == 2


def _history_patch(i: int) -> dict:
    patch = {"n": i, f"k{i % 5}": i, "deep": {"last": i, f"m{i % 3}": {"v": i, "l": [i]}}}
    if i % 50 == 49:
        patch["k0"] = None
        patch["deep"][f"m{(i + 1) % 3}"] = None
    return patch


def test_history_and_state_at_across_many_blocks(store, feed):
    count = 700  # BLOCK is 256: three history blocks, crossed inside and between batches
    patches = [_history_patch(i) for i in range(count)]
    feed.send({"s": {"open": opened()}})
    start = 0
    for size in (1, 97, 300, 2, 300):
        entries = []
        for i in range(start, start + size):
            entries.append([T0 + i, patches[i]])
            entries.append([T0 + i + 0.5, patches[i]])  # the same patch again: a no-op
        feed.send({"s": {"state": entries}})
        start += size
    assert start == count
    assert store.get_session("s")["history_count"] == count
    history = store.read("history", "s", 0, ALL)
    assert history == [{"ts": T0 + i, "patch": patches[i]} for i in range(count)]

    expected, states = {}, []
    for patch in patches:
        expected = deep_merge(expected, patch)
        states.append(expected)
    assert store.get_state("s") == states[-1]
    assert store.state_at("s", T0 - 1) == {}
    for i in (0, 1, 127, 254, 255, 256, 257, 300, 510, 511, 512, 513, 600, 698, 699):
        assert store.state_at("s", T0 + i) == states[i], i  # a patch at exactly ts counts
        assert store.state_at("s", T0 + i + 0.75) == states[i], i
    assert store.state_at("s", T0 + 10**6) == states[-1]


# --- events, metrics, paging ---------------------------------------------------------------


def _events(feed, sid: str = "s", count: int = 700, per_batch: int = 70) -> None:
    feed.send({sid: {"open": opened()}})
    for start in range(0, count, per_batch):
        feed.send({sid: {"events": [{"ts": T0 + i, "name": f"e{i}", "level": "info", "i": i}
                                    for i in range(start, min(count, start + per_batch))]}})


def test_events_keep_order_and_get_seq(store, feed):
    _events(feed)
    assert store.get_session("s")["event_count"] == 700
    events = store.read("events", "s", 0, ALL)
    assert [event["seq"] for event in events] == list(range(700))
    assert [event["i"] for event in events] == list(range(700))
    assert events[300]["name"] == "e300" and events[300]["ts"] == T0 + 300
    assert events[300]["level"] == "info"


def test_events_interleaved_between_sessions(store, feed):
    feed.send({"a": {"open": opened()}, "b": {"open": opened()}})
    for n in range(6):
        feed.send({sid: {"events": [{"ts": T0 + n, "name": f"{sid}{n}.{j}"} for j in range(60)]}
                   for sid in ("a", "b")})
    for sid in ("a", "b"):
        events = store.read("events", sid, 0, ALL)
        assert [e["seq"] for e in events] == list(range(360))
        assert [e["name"] for e in events] == [f"{sid}{n}.{j}" for n in range(6) for j in range(60)]


@pytest.mark.parametrize("start,limit,expected", [
    (0, 0, []),
    (0, -1, []),
    (0, 1, [0]),
    (0, 10, list(range(10))),
    (250, 12, list(range(250, 262))),  # across a block boundary
    (255, 1, [255]),
    (256, 1, [256]),
    (256, 256, list(range(256, 512))),  # exactly one block
    (255, 258, list(range(255, 513))),  # touching three blocks
    (690, 100, list(range(690, 700))),  # runs past the end
    (699, 10, [699]),
    (700, 10, []),  # starts at the end
    (5000, 10, []),
    (-5, 3, [0, 1, 2]),  # a negative start counts as 0
    (0, ALL, list(range(700))),
], ids=lambda value: str(value) if not isinstance(value, list) else f"{len(value)}items")
def test_read_paging(store, feed, start, limit, expected):
    _events(feed)
    assert [event["seq"] for event in store.read("events", "s", start, limit)] == expected


def test_read_pages_cover_a_stream_exactly_once(store, feed):
    _events(feed)
    seen, start = [], 0
    while page := store.read("events", "s", start, 97):
        seen.extend(event["seq"] for event in page)
        start += len(page)
    assert seen == list(range(700))


def test_metrics_are_stored(store, feed):
    points = [{"ts": T0 + i, "name": f"m{i % 3}", "type": kind, "count": i + 1, "sum": 2.5 * i,
               "min": 0, "max": i, "last": i, "tags": {"k": "v"}}
              for i, kind in enumerate(["gauge", "counter", "histogram", "timer"] * 80)]
    feed.send({"s": {"open": opened(), "metrics": points[:100]}})
    feed.send({"s": {"metrics": points[100:]}})
    assert store.get_session("s")["metric_count"] == 320
    assert store.read("metrics", "s", 0, ALL) == points
    assert store.read("metrics", "s", 250, 10) == points[250:260]


# --- dedup ---------------------------------------------------------------------------------


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


# --- invalid batches write nothing ---------------------------------------------------------

BAD_PARTS = [
    ("part_not_map", ["open"]),
    ("open_not_map", {"open": "game"}),
    ("open_without_product", {"open": {"version": "1"}}),
    ("open_product_empty", {"open": opened(product="")}),
    ("open_product_control_char", {"open": opened(product="a\x1fb")}),
    ("open_version_int", {"open": opened(version=1)}),
    ("open_ts_string", {"open": opened(ts="yesterday")}),
    ("state_not_list", {"state": {"a": 1}}),
    ("state_entry_not_pair", {"state": [[T0, {"a": 1}, 3]]}),
    ("state_patch_not_map", {"state": [[T0, [1]]]}),
    ("state_ts_string", {"state": [["now", {"a": 1}]]}),
    ("events_none", {"events": None}),
    ("event_not_map", {"events": ["e"]}),
    ("event_without_name", {"events": [{"ts": T0}]}),
    ("event_ts_bool", {"events": [{"ts": True, "name": "e"}]}),
    ("metric_type_unknown", {"metrics": [{"ts": T0, "name": "m", "type": "sum"}]}),
    ("metric_without_ts", {"metrics": [{"name": "m", "type": "gauge"}]}),
    ("metrics_not_list", {"metrics": 5}),
    ("beat_string", {"beat": "now"}),
    ("lifecycle_open_kind", {"lifecycle": [[int(Kind.OPEN), T0, None]]}),
    ("lifecycle_unknown_kind", {"lifecycle": [[99, T0, None]]}),
    ("lifecycle_short", {"lifecycle": [[int(Kind.END), T0]]}),
    ("lifecycle_detail_string", {"lifecycle": [[int(Kind.END), T0, "normal"]]}),
    ("lifecycle_not_list", {"lifecycle": {"end": T0}}),
]
BAD_SIDS = [("sid_empty", ""), ("sid_too_long", "s" * 65), ("sid_control_char", "a\nb")]


def _good_parts() -> dict:
    return {"good": {"state": [[T0 + 1, {"b": 2}]], "events": [{"ts": T0, "name": "more"}],
                     "lifecycle": [life(Kind.END, T0 + 2, reason="normal")]},
            "new": {"open": opened(product="other")}}


def _assert_rejected_without_writes(store, feed, sessions: dict) -> None:
    before = snapshot(store, "good", "new", "bad")
    with pytest.raises(InvalidBatch):
        feed.send(sessions, seq=2)
    assert snapshot(store, "good", "new", "bad") == before
    feed.send(_good_parts(), seq=2)  # the rejected batch did not use up its seq
    assert store.get_session("good")["status"] == "ended"


@pytest.fixture
def seeded(store, feed):
    feed.send({"good": {"open": opened(), "state": [[T0, {"a": 1}]]}}, seq=1)
    return store, feed


@pytest.mark.parametrize("part", table(BAD_PARTS))
def test_invalid_part_raises_and_writes_nothing(seeded, part):
    store, feed = seeded
    _assert_rejected_without_writes(store, feed, {**_good_parts(), "bad": part})


@pytest.mark.parametrize("sid", table(BAD_SIDS))
def test_invalid_session_id_raises_and_writes_nothing(seeded, sid):
    store, feed = seeded
    _assert_rejected_without_writes(store, feed, {**_good_parts(), sid: {"open": opened()}})


@pytest.mark.parametrize("batch", [
    {"daemon_id": "d", "seq": "2", "sessions": {"x": {"open": opened()}}},
    {"daemon_id": "d", "seq": None, "sessions": {"x": {"open": opened()}}},
    {"daemon_id": "d", "seq": -1, "sessions": {"x": {"open": opened()}}},
    {"daemon_id": 5, "seq": 1, "sessions": {"x": {"open": opened()}}},
    {"daemon_id": "d", "seq": 1, "sessions": [["x", {}]]},
    {"daemon_id": "d", "seq": 1},
    ["not", "a", "batch"],
], ids=["seq_string", "seq_none", "seq_negative", "daemon_id_int", "sessions_list",
        "no_sessions", "not_a_map"])
def test_invalid_batch_envelope_raises_invalid_batch(store, batch):
    with pytest.raises(InvalidBatch):
        apply(store, batch, now=T0)
    assert store.get_session("x") is None and store.products() == []


# --- lifecycle -----------------------------------------------------------------------------

END = life(Kind.END, T0 + 10, reason="normal")
CRASH = life(Kind.CRASH, T0 + 20, reason="process_vanished", exit_code=-9)
HANG = life(Kind.HANG, T0 + 30, stack="main.py:10")
RECOVER = life(Kind.RECOVER, T0 + 42.5)
SUSPEND = life(Kind.SUSPEND, T0 + 33, cause="stopped")
WAKE = life(Kind.WAKE, T0 + 35, cause="stopped", duration=2.0)
LOST = life(Kind.LOST, T0 + 60, reason="daemon_silent")
HUNG, RECOVERED, CRASHED = "application_appears_hung", "application_recovered", "session_crashed"
LOST_EVENT = "session_lost"

LIFECYCLES = [
    # (id, records, status, reason, names of the events the store made)
    ("end", [END], "ended", "normal", []),
    ("end_without_reason", [life(Kind.END, T0)], "ended", "end", []),
    ("crash", [CRASH], "crashed", "process_vanished", [CRASHED]),
    ("crash_without_reason", [life(Kind.CRASH, T0)], "crashed", "abnormal_termination",
     [CRASHED]),
    ("end_then_crash", [END, CRASH], "ended", "normal", []),
    ("crash_then_end", [CRASH, END], "crashed", "process_vanished", [CRASHED]),
    ("end_then_hang", [END, HANG], "ended", "normal", []),
    ("crash_then_recover", [CRASH, HANG, RECOVER], "crashed", "process_vanished", [CRASHED]),
    ("hang", [HANG], "hung", None, [HUNG]),
    ("hang_twice", [HANG, life(Kind.HANG, T0 + 31)], "hung", None, [HUNG]),
    ("hang_recover", [HANG, RECOVER], "active", None, [HUNG, RECOVERED]),
    ("recover_without_hang", [RECOVER], "active", None, []),
    ("hang_recover_twice", [HANG, RECOVER, life(Kind.HANG, T0 + 50), life(Kind.RECOVER, T0 + 51)],
     "active", None, [HUNG, RECOVERED, HUNG, RECOVERED]),
    ("hang_then_end", [HANG, END], "ended", "normal", [HUNG]),
    ("hang_then_crash", [HANG, CRASH], "crashed", "process_vanished", [HUNG, CRASHED]),
    ("pause_resume", [life(Kind.PAUSE, T0), life(Kind.RESUME, T0 + 1)], "active", None, []),
    ("suspend", [SUSPEND], "suspended", None, []),
    ("suspend_wake", [SUSPEND, WAKE], "active", None, []),
    ("hang_suspend_wake", [HANG, SUSPEND, WAKE], "hung", None, [HUNG]),
    ("wake_while_active", [WAKE], "active", None, []),
    ("lost", [LOST], "lost", "daemon_silent", [LOST_EVENT]),
    ("lost_twice", [LOST, LOST], "lost", "daemon_silent", [LOST_EVENT]),
    ("lost_then_crash", [LOST, CRASH], "crashed", "process_vanished", [LOST_EVENT, CRASHED]),
    ("end_then_lost", [END, LOST], "ended", "normal", []),
]


@pytest.mark.parametrize("split", [False, True], ids=["one_batch", "batch_each"])
@pytest.mark.parametrize("records,status,reason,made", table(LIFECYCLES))
def test_lifecycle(store, feed, records, status, reason, made, split):
    feed.send({"s": {"open": opened(), "events": [{"ts": T0, "name": "app_event"}]}})
    if split:
        for record in records:
            feed.send({"s": {"lifecycle": [record]}})
    else:
        feed.send({"s": {"lifecycle": records}})
    session = store.get_session("s")
    assert (session["status"], session["reason"]) == (status, reason)
    events = store.read("events", "s", 0, ALL)
    assert [e["name"] for e in events] == ["app_event", *made]
    assert [e["seq"] for e in events] == list(range(len(events)))
    assert rollups(store) == {("game", "1.0"): (1, {status: 1})}


def test_lifecycle_details(store, feed):
    feed.send({"s": {"open": opened(), "lifecycle": [HANG]}})
    hung = store.get_session("s")
    assert hung["status"] == "hung" and hung["ended_at"] is None
    feed.send({"s": {"lifecycle": [RECOVER]}})
    assert store.get_session("s")["hangs"] == [{"start": T0 + 30, "end": T0 + 42.5}]
    feed.send({"s": {"lifecycle": [CRASH]}})
    crashed = store.get_session("s")
    assert crashed["ended_at"] == T0 + 20
    hang, recovered, crash = store.read("events", "s", 0, ALL)
    assert (hang["ts"], hang["data"]) == (T0 + 30, {"stack": "main.py:10"})
    assert recovered["data"]["hang_duration"] == pytest.approx(12.5)
    assert (crash["ts"], crash["message"], crash["data"]) == (
        T0 + 20, "process_vanished", {"reason": "process_vanished", "exit_code": -9})


def test_end_sets_ended_at(store, feed):
    feed.send({"s": {"open": opened(), "lifecycle": [END]}})
    assert store.get_session("s")["ended_at"] == T0 + 10


# --- listing -------------------------------------------------------------------------------

#: (sid, product, version, created_at offset, lifecycle) in arrival order.
FLEET = [
    ("s0", "game", "1.0", 100, None),
    ("s1", "game", "1.0", 200, END),
    ("s2", "game", "2.0", 300, CRASH),
    ("s3", "tool", "1.0", 400, None),
    ("s4", "game", "2.0", 500, HANG),
    ("s5", "tool", "2.0", 600, END),
]


@pytest.fixture
def fleet(store, feed):
    for sid, product, version, offset, record in FLEET:
        part = {"open": opened(product, version, T0 + offset)}
        if record:
            part["lifecycle"] = [record]
        feed.send({sid: part})
    return store


@pytest.mark.parametrize("filters,expected", [
    ({}, "s5 s4 s3 s2 s1 s0"),
    ({"product": "game"}, "s4 s2 s1 s0"),
    ({"product": "game", "version": "2.0"}, "s4 s2"),
    ({"version": "1.0"}, "s3 s1 s0"),
    ({"status": "ended"}, "s5 s1"),
    ({"status": "active"}, "s3 s0"),
    ({"status": "hung"}, "s4"),
    ({"status": "lost"}, ""),
    ({"product": "tool", "status": "ended"}, "s5"),
    ({"since": T0 + 300}, "s5 s4 s3 s2"),
    ({"until": T0 + 300}, "s2 s1 s0"),
    ({"since": T0 + 200, "until": T0 + 400}, "s3 s2 s1"),
    ({"since": T0 + 250, "until": T0 + 260}, ""),
    ({"product": "game", "since": T0 + 150, "status": "ended"}, "s1"),
    ({"product": "nope"}, ""),
    ({"product": "game", "version": "9"}, ""),
    ({"product": "1.0"}, ""),
])
def test_list_sessions_filters(fleet, filters, expected):
    assert listed(fleet, **filters) == expected.split()
    page = fleet.list_sessions(SessionQuery(limit=100, **filters))
    assert [s["id"] for s in page.items] == expected.split() and page.cursor is None


def test_list_sessions_returns_session_records(fleet):
    first = fleet.list_sessions(SessionQuery(limit=1)).items[0]
    assert first == fleet.get_session("s5")


@pytest.fixture
def many(store, feed):
    """700 sessions in seven batches; every seventh one ended."""
    for batch in range(7):
        feed.send({f"s{i:03}": {"open": opened("ab"[i % 2], f"v{i % 3}", T0 + i)}
                   for i in range(batch * 100, batch * 100 + 100)})
    feed.send({f"s{i:03}": {"lifecycle": [END]} for i in range(0, 700, 7)})
    return store


def _pages(store, limit: int, **filters) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        page = store.list_sessions(SessionQuery(limit=limit, cursor=cursor, **filters))
        pages.append([s["id"] for s in page.items])
        if page.cursor is None:
            return pages
        assert page.items, "a page that has a next page is not empty"
        cursor = page.cursor


@pytest.mark.parametrize("limit,filters,wanted", [
    (50, {}, lambda i: True),
    (37, {"product": "b"}, lambda i: i % 2 == 1),
    (64, {"product": "a", "version": "v1"}, lambda i: i % 2 == 0 and i % 3 == 1),
    (10, {"status": "ended"}, lambda i: i % 7 == 0),
    (33, {"version": "v2", "status": "active"}, lambda i: i % 3 == 2 and i % 7 != 0),
    (256, {"since": T0 + 100, "until": T0 + 611}, lambda i: 100 <= i <= 611),
    (700, {}, lambda i: True),
    (699, {}, lambda i: True),
    (1, {"product": "a", "since": T0 + 690}, lambda i: i % 2 == 0 and i >= 690),
], ids=["all", "product", "product_version", "status", "version_status", "time", "exact",
        "one_short", "limit_1"])
def test_cursor_pagination_has_no_duplicates_or_gaps(many, limit, filters, wanted):
    pages = _pages(many, limit, **filters)
    ids = [sid for page in pages for sid in page]
    assert ids == [f"s{i:03}" for i in reversed(range(700)) if wanted(i)]
    assert all(len(page) == limit for page in pages[:-1])
    assert [s["id"] for s in many.iter_sessions(SessionQuery(limit=limit, **filters))] == ids


def test_list_sessions_rejects_a_zero_limit_and_a_bad_cursor(fleet):
    for limit in (0, -1):
        with pytest.raises(ValueError):
            fleet.list_sessions(SessionQuery(limit=limit))
    with pytest.raises(ValueError):
        fleet.list_sessions(SessionQuery(cursor="not-a-cursor"))


def test_a_cursor_past_the_end_repeats_nothing(many):
    cursor = many.list_sessions(SessionQuery(limit=5)).cursor
    bogus = str(int(cursor) * 10)  # forged, far past the end of the index
    ids = [s["id"] for s in many.iter_sessions(SessionQuery(limit=50, cursor=bogus))]
    assert len(ids) == len(set(ids)) == 700


# --- rollups -------------------------------------------------------------------------------


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


# --- persistence and sharing ---------------------------------------------------------------


def _rich_session(feed, sid: str = "s") -> None:
    feed.send({sid: {"open": opened(), "state": [[T0 + i, {"i": i, f"k{i % 4}": i}]
                                                 for i in range(300)],
                     "events": [{"ts": T0 + i, "name": f"e{i}"} for i in range(300)],
                     "metrics": [{"ts": T0, "name": "fps", "type": "gauge", "last": 60}]}})
    feed.send({sid: {"lifecycle": [HANG, RECOVER, END]}})


def test_close_is_idempotent(backend):
    store = open_store(backend[1])
    Feed(store).send({"s": {"open": opened()}})
    store.close()
    store.close()


def test_data_survive_close_and_reopen(store, feed, open_again):
    _rich_session(feed)
    before = snapshot(store, "s")
    store.close()
    reopened = open_again()
    assert snapshot(reopened, "s") == before
    assert reopened.state_at("s", T0 + 150)["i"] == 150
    with pytest.raises(DuplicateBatch):  # dedup marks survive too
        Feed(reopened).send({"s": {"beat": T0}}, seq=feed.seq)
    Feed(reopened).send({"s": {"events": [{"ts": T0, "name": "after"}]}}, seq=feed.seq + 1)
    events = reopened.read("events", "s", 0, ALL)
    assert (events[-1]["name"], events[-1]["seq"], len(events)) == ("after", 302, 303)


def test_two_store_objects_on_one_place_see_each_others_writes(store, feed, open_again):
    other = open_again()
    _rich_session(feed, "a")
    assert snapshot(other, "a") == snapshot(store, "a")
    Feed(other, daemon_id="daemon-2").send({"b": {"open": opened("tool")},
                                             "a": {"events": [{"ts": T0, "name": "x"}]}})
    assert store.get_session("b")["product"] == "tool"
    assert store.read("events", "a", 0, ALL)[-1]["name"] == "x"
    assert listed(store) == listed(other) == ["b", "a"]
    assert rollups(store) == rollups(other)
    with pytest.raises(DuplicateBatch):  # one daemon's marks are shared as well
        Feed(other).send({"a": {"beat": T0}}, seq=feed.seq)


# --- appends stay flat (counted in bytes written, never timed) -----------------------------


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


# --- daemon liveness and loss ---------------------------------------------------------------


def _daemon_batch(feed, watching: list, sessions: dict | None = None, daemon_id="daemon-1"):
    feed.seq += 1
    feed.now += 1.0
    batch = {"daemon_id": daemon_id, "seq": feed.seq, "host": "box", "stats": {"frames_in": 1},
             "watching": watching, "sessions": sessions or {}}
    return apply(feed.store, batch, now=feed.now)


def test_a_daemon_batch_records_its_liveness(store, feed):
    _daemon_batch(feed, ["a", "b"], {"a": {"open": opened()}, "b": {"open": opened()}})
    (daemon,) = store.daemons()
    assert (daemon["id"], daemon["host"], daemon["watching"]) == ("daemon-1", "box", ["a", "b"])
    assert daemon["last_seen"] == feed.now and daemon["stats"] == {"frames_in": 1}


def test_a_silent_daemons_open_sessions_become_lost_and_come_back(store, feed):
    from datacat.broker.apply import retire_daemon

    _daemon_batch(feed, ["a", "b", "c"], {sid: {"open": opened()} for sid in "abc"})
    feed.send({"c": {"lifecycle": [END]}})
    seen = store.daemons()[0]["last_seen"]
    assert retire_daemon(store, "daemon-1", timeout=30, now=seen + 10) == 0  # not silent yet
    assert retire_daemon(store, "daemon-1", timeout=30, now=seen + 31) == 2
    assert [store.get_session(s)["status"] for s in "abc"] == ["lost", "lost", "ended"]
    assert store.daemons() == [] and store.lost_sessions() == {"a", "b"}
    assert [e["name"] for e in store.read("events", "a", 0, ALL)] == [LOST_EVENT]
    assert rollups(store) == {("game", "1.0"): (3, {"lost": 2, "ended": 1})}

    _daemon_batch(feed, ["a"], daemon_id="daemon-2")  # a restarted daemon still watches "a"
    assert store.get_session("a")["status"] == "active"
    assert store.get_session("a")["daemon_id"] == "daemon-2"
    assert store.get_session("b")["status"] == "lost" and store.lost_sessions() == {"b"}


def test_watching_needs_a_daemon_and_session_ids(store):
    for batch in ({"sessions": {}, "watching": ["a"]},
                  {"daemon_id": "d", "seq": 1, "sessions": {}, "watching": "a"},
                  {"daemon_id": "d", "seq": 1, "sessions": {}, "watching": [1]}):
        with pytest.raises(InvalidBatch):
            apply(store, batch)
    assert store.daemons() == []


def test_ingest_skips_only_the_invalid_session_part(store):
    batch = {"daemon_id": "d", "seq": 1, "sessions": {
        "good": {"open": opened(), "events": [{"ts": T0, "name": "kept"}]},
        "bad": {"open": opened(product=""), "events": [{"ts": T0, "name": "x"}]}}}
    result = apply(store, batch, skip_invalid=True)
    assert result.rejected == {"bad": "bad_field"} and result.events == 1
    assert [e["name"] for e in store.read("events", "good", 0, ALL)] == ["kept"]
    assert store.get_session("bad") is None


def test_a_recursion_bomb_is_rejected_before_the_merge(store):
    bomb: dict = {}
    for _ in range(5_000):
        bomb = {"k": bomb}
    with pytest.raises(InvalidBatch) as error:
        apply(store, {"sessions": {"s": {"open": opened(), "state": [[T0, bomb]]}}})
    assert error.value.reason == "too_deep"
    assert store.get_session("s") is None
