"""Store contract: counts by creation hour and day, incidents, and the time-based rollups
(first start, hang episodes, median duration), kept at write time on every backend."""

from __future__ import annotations

import pytest

from datacat.broker.store.timeline import DAY, HOUR
from datacat.protocol import Kind

from .support import T0, life, listed, opened

DAY0 = T0 // DAY * DAY  # midnight before T0


def cell(rows: list, at: float, product="game", version="1.0") -> tuple:
    """``(by_status, hung, episodes)`` of one bucket and pair (zeros when absent)."""
    for row in rows:
        if (row["at"], row["product"], row["version"]) == (at, product, version):
            return row["by_status"], row["hung"], row["episodes"]
    return {}, 0, 0


def hang(ts):
    return life(Kind.HANG, ts, stack="main.py:1")


def test_counts_follow_each_session_into_its_hour_and_day(store, feed):
    feed.send({"a": {"open": opened(ts=DAY0 + 100)},
               "b": {"open": opened(ts=DAY0 + 200)},
               "c": {"open": opened(ts=DAY0 + HOUR + 5)},
               "d": {"open": opened(version="2.0", ts=DAY0 + DAY + 1)}})
    feed.send({"a": {"lifecycle": [life(Kind.CRASH, DAY0 + 300, reason="x")]},
               "b": {"lifecycle": [hang(DAY0 + 250), life(Kind.RECOVER, DAY0 + 260),
                                   hang(DAY0 + 270)]}})
    hours = store.session_counts(HOUR, DAY0, DAY0 + 2 * DAY)
    assert cell(hours, DAY0) == ({"crashed": 1, "hung": 1}, 1, 2)
    assert cell(hours, DAY0 + HOUR) == ({"active": 1}, 0, 0)
    assert cell(hours, DAY0 + DAY, version="2.0") == ({"active": 1}, 0, 0)
    assert len(hours) == 3
    days = store.session_counts(DAY, DAY0, DAY0 + DAY - 1)
    assert days == [{"at": DAY0, "product": "game", "version": "1.0",
                     "by_status": {"crashed": 1, "hung": 1, "active": 1}, "hung": 1,
                     "episodes": 2, "machines": 0}]
    assert store.session_counts(DAY, DAY0, DAY0 + 3 * DAY, version="2.0", product="game") == [
        {"at": DAY0 + DAY, "product": "game", "version": "2.0", "by_status": {"active": 1},
         "hung": 0, "episodes": 0, "machines": 0}]
    assert store.session_counts(HOUR, DAY0 + 2 * DAY, DAY0 + 3 * DAY) == []


def test_a_replayed_batch_and_a_late_open_count_once(store, feed):
    sends = {"a": {"lifecycle": [hang(DAY0 + 50)]}}
    feed.send(sends)  # no open yet: created from the batch's clock
    feed.send({"a": {"open": opened(ts=DAY0 + 10)}})  # the late open moves it to its start
    with pytest.raises(Exception):  # noqa: B017,PT011 - a duplicate of any kind
        feed.send(sends, seq=1)
    rows = store.session_counts(DAY, DAY0 - 30 * DAY, DAY0 + 60 * DAY)
    assert [(row["at"], row["by_status"], row["hung"], row["episodes"]) for row in rows] == [
        (DAY0, {"hung": 1}, 1, 1)]


def test_machines_are_counted_once_per_bucket_and_version(store, feed):
    feed.send({f"s{n}": {"open": opened(ts=DAY0 + n * 1000, machine_id=f"m{n % 3}")}
               for n in range(9)})  # hours: s0-s3 (m0 m1 m2 m0), s4-s7 (m1 m2 m0 m1), s8
    feed.send({"x": {"open": opened(version="2.0", ts=DAY0 + 10, machine_id="m0")},
               "y": {"open": opened(ts=DAY0 + DAY, machine_id="m0")}})
    feed.send({"s0": {"lifecycle": [life(Kind.END, DAY0 + 20_000, reason="normal")]}})
    hours = store.session_counts(HOUR, DAY0, DAY0 + DAY - 1)
    assert [row["machines"] for row in hours if row["version"] == "1.0"] == [3, 3, 1]
    days = store.session_counts(DAY, DAY0, DAY0 + DAY)
    assert [(row["at"], row["version"], row["machines"]) for row in days] == [
        (DAY0, "1.0", 3), (DAY0, "2.0", 1), (DAY0 + DAY, "1.0", 1)]


def test_bad_buckets_are_refused(store):
    with pytest.raises(ValueError):
        store.session_counts(60, T0, T0 + 3600)
    with pytest.raises(ValueError):
        store.session_counts(HOUR, T0, T0 + 20_000 * HOUR)


def test_rollups_keep_the_first_start_hang_episodes_and_median_duration(store, feed):
    lengths = [10.0, 20.0, 30.0, 1000.0]
    feed.send({f"s{n}": {"open": opened(ts=T0 + n)} for n in range(5)})
    feed.send({f"s{n}": {"lifecycle": [life(Kind.END, T0 + n + length, reason="normal")]}
               for n, length in enumerate(lengths)})
    feed.send({"s4": {"lifecycle": [hang(T0 + 60), life(Kind.RECOVER, T0 + 61), hang(T0 + 70)]}})
    feed.send({"early": {"open": opened(version="2.0", ts=T0 + 5)},
               "earlier": {"open": opened(version="2.0", ts=T0 - 5)}})
    rollup = {r["version"]: r for r in store.products()}
    assert rollup["1.0"]["first_seen"] == T0
    assert rollup["2.0"]["first_seen"] == T0 - 5
    assert rollup["1.0"]["hang_episodes"] == 2
    assert rollup["1.0"]["median_duration"] == pytest.approx(20.0, rel=0.01)
    assert rollup["2.0"]["median_duration"] is None
    assert rollup["2.0"]["hang_episodes"] == 0


def test_incidents_are_the_latest_crashes_and_hangs_each_once(store, feed):
    feed.send({sid: {"open": opened(ts=T0)} for sid in "abcd"})
    feed.send({"a": {"lifecycle": [life(Kind.CRASH, T0 + 10, reason="x")]},
               "b": {"lifecycle": [hang(T0 + 20)]},
               "c": {"lifecycle": [life(Kind.END, T0 + 25, reason="normal")]}})
    feed.send({"b": {"lifecycle": [life(Kind.RECOVER, T0 + 21), hang(T0 + 30)]},
               "d": {"lifecycle": [hang(T0 + 40)]}})
    feed.send({"d": {"lifecycle": [life(Kind.CRASH, T0 + 50, reason="y")]}})
    rows = store.incidents(10)
    assert [(row["at"], row["session"]["id"]) for row in rows] == [
        (T0 + 50, "d"), (T0 + 30, "b"), (T0 + 10, "a")]
    assert [row["session"]["id"] for row in store.incidents(2)] == ["d", "b"]
    assert [row["session"]["id"] for row in store.incidents(10, since=T0 + 15,
                                                            until=T0 + 45)] == ["b"]


def test_ever_hung_sessions_are_listed_once_with_their_filters(store, feed):
    feed.send({f"s{n}": {"open": opened(version=f"{n % 2}.0", ts=T0 + n)} for n in range(9)})
    for n in range(0, 9, 2):
        feed.send({f"s{n}": {"lifecycle": [hang(T0 + 100 + n)]}})
    feed.send({"s0": {"lifecycle": [life(Kind.RECOVER, T0 + 200), hang(T0 + 201)]},
               "s2": {"lifecycle": [life(Kind.RECOVER, T0 + 200)]}})
    assert sorted(listed(store, ever_hung=True)) == ["s0", "s2", "s4", "s6", "s8"]
    assert listed(store, ever_hung=True, product="game", version="0.0") == \
        listed(store, ever_hung=True)
    assert listed(store, ever_hung=True, version="1.0", product="game") == []
    assert listed(store, ever_hung=True, status="active") == ["s2"]
