"""Store contract: lifecycle."""

from __future__ import annotations

import pytest

from datacat.protocol import Kind

from .support import (
    ALL,
    CRASH,
    CRASHED,
    END,
    HANG,
    HUNG,
    LOST,
    LOST_EVENT,
    RECOVER,
    RECOVERED,
    SUSPEND,
    T0,
    WAKE,
    life,
    opened,
    rollups,
    table,
)

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


def test_episodes_are_capped_but_counted(store, feed):
    from datacat.broker.lifecycle import MAX_EPISODES

    feed.send({"s": {"open": opened()}})
    for i in range(MAX_EPISODES + 20):
        feed.send({"s": {"lifecycle": [life(Kind.HANG, T0 + 2 * i), life(Kind.RECOVER, T0 + 2 * i + 1),
                                       life(Kind.SUSPEND, T0 + 2 * i + 1), life(Kind.WAKE, T0 + 2 * i + 1)]}})
    session = store.get_session("s")
    assert len(session["hangs"]) == MAX_EPISODES and session["hang_count"] == MAX_EPISODES + 20
    assert session["hangs"][-1] == {"start": T0 + 2 * (MAX_EPISODES + 19),
                                    "end": T0 + 2 * (MAX_EPISODES + 19) + 1}
    assert len(session["suspends"]) == MAX_EPISODES and session["suspend_count"] == MAX_EPISODES + 20
