"""Store contract: listing."""

from __future__ import annotations

import re

import pytest

from datacat.broker.store import SessionQuery

from .support import CRASH, END, HANG, T0, listed, opened

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
    for cursor in ("not-a-cursor", "-5", "+5", " 5", "5_0"):
        with pytest.raises(ValueError):
            fleet.list_sessions(SessionQuery(cursor=cursor))


def test_a_cursor_past_the_end_repeats_nothing(many):
    cursor = many.list_sessions(SessionQuery(limit=5)).cursor
    # forged: its first number ten times larger, far past the end of the index
    bogus = re.sub(r"\d+", lambda number: str(int(number.group()) * 10), cursor, count=1)
    ids = [s["id"] for s in many.iter_sessions(SessionQuery(limit=50, cursor=bogus))]
    assert len(ids) == len(set(ids)) == 700


def test_a_status_listing_walks_its_own_index_and_lists_each_session_once(store, feed):
    from datacat.protocol import Kind

    from .support import life

    feed.send({sid: {"open": opened(ts=T0 + n)} for n, sid in enumerate("abcdef")})
    feed.send({"b": {"lifecycle": [life(Kind.HANG, T0 + 10)]}})
    feed.send({"e": {"lifecycle": [life(Kind.HANG, T0 + 11)]}})
    feed.send({"b": {"lifecycle": [life(Kind.RECOVER, T0 + 12)]}})
    feed.send({"b": {"lifecycle": [life(Kind.HANG, T0 + 13)]}})
    pages, cursor = [], None
    while True:
        page = store.list_sessions(SessionQuery(status="hung", limit=1, cursor=cursor))
        pages.append([s["id"] for s in page.items])
        if page.cursor is None:
            break
        cursor = page.cursor
    assert [sid for page in pages for sid in page] == ["b", "e"]  # by entry into "hung", once
    assert cursor is None or cursor.startswith("s")
    status_cursor = store.list_sessions(SessionQuery(status="hung", limit=1)).cursor
    assert status_cursor.startswith("s")
    with pytest.raises(ValueError):
        store.list_sessions(SessionQuery(cursor=status_cursor))  # a status cursor needs that filter
