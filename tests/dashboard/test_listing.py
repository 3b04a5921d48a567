"""The sessions page query: filters, sorts and cursors (every session visited once)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from datacat.broker.store import SessionQuery
from datacat.web.dashboard import listing as listing_module
from datacat.web.dashboard.filters import SessionFilter, parse_filter, state_match
from datacat.web.dashboard.listing import list_sessions
from datacat.web.dashboard.probes import Probes
from datacat.web.dashboard.summary import summarize

from .conftest import T0, add

NOW = T0 + 100_000


@pytest.fixture
def index(store):
    for n in range(23):
        add(store, f"s{n:02d}", product="A" if n % 2 else "B", version=str(n % 3),
            at=T0 + 100 * n, end="crash" if n % 5 == 0 else ("end" if n % 7 else None),
            host=f"rig-{n % 4}", hang=(T0 + 100 * n + 1, T0 + 100 * n + 2) if n % 6 == 0 else None,
            state=[[T0 + 100 * n, {"player": {"level": n % 4}}]],
            events=[{"ts": T0 + 100 * n, "name": "boss" if n % 3 == 0 else "tick", "level": "info"}])
    return store


def summaries(store) -> dict:
    return {r["id"]: summarize(r) for r in store.iter_sessions(SessionQuery(limit=100))}


def pages(index, flt: SessionFilter, expensive=None, size: int = 4) -> list[list[str]]:
    out = []
    while True:
        page = list_sessions(index, flt, NOW, expensive, page_size=size)
        out.append([s.id for s in page.rows])
        if page.cursor is None:
            return out
        flt = replace(flt, cursor=page.cursor)


@pytest.mark.parametrize("sort", ["created", "product", "version", "status", "duration", "events",
                                  "hostname"])
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_following_cursors_visits_every_session_once_in_order(index, sort, order):
    flt = SessionFilter(sort=sort, order=order)
    seen = [sid for page in pages(index, flt) for sid in page]
    everyone = summaries(index)
    assert sorted(seen) == sorted(everyone) and len(seen) == len(set(seen))
    key = {"duration": lambda s: s.duration(NOW)}.get(sort, lambda s: getattr(s, sort))
    values = [key(everyone[sid]) for sid in seen]
    assert values == sorted(values, reverse=order == "desc")


def test_cheap_filters_and_the_total(index):
    def ids(**fields):
        page = list_sessions(index, SessionFilter(**fields), NOW, page_size=100)
        return {s.id for s in page.rows}, page.total

    crashed, total = ids(status="crashed")
    assert crashed == {"s00", "s05", "s10", "s15", "s20"} and total == 5
    assert ids(product="A", version="1")[0] == {"s01", "s07", "s13", "s19"}
    assert ids(product="A", version="1")[1] == 4
    assert ids(status="hung_recovered")[0] == {"s00", "s06", "s12", "s18"}  # s00 crashed later
    assert ids(status="hung_crashed")[0] == set()  # their hangs ended before the crash
    assert ids(status="ever_hung")[0] == {"s00", "s06", "s12", "s18"}
    assert ids(machine="RIG-3")[0] == {"s03", "s07", "s11", "s15", "s19"}
    assert ids(machine="rig-3")[1] is None  # not known without a scan
    since = f"{T0 + 1000:.0f}"
    assert ids(range="custom", start=since, end=f"{T0 + 1200:.0f}")[0] == {"s10", "s11", "s12"}
    assert ids(range="1d")[0] == set()  # NOW is more than a day later


def test_state_and_event_filters_read_the_store_within_a_budget(index, store, monkeypatch):
    probes = Probes()
    expensive = probes.tester(store, "player.level=2", "boss")
    found = [sid for page in pages(index, SessionFilter(), expensive) for sid in page]
    assert found == ["s18", "s06"]
    assert probes.tester(store, "", "") is None
    monkeypatch.setattr(listing_module, "MAX_PROBES", 5)
    first = list_sessions(index, SessionFilter(), NOW, expensive, page_size=50)
    assert first.stopped_early and first.probed == 5 and first.total is None
    assert [s.id for s in first.rows] == ["s18"]  # s22 .. s18 examined
    rest = [sid for page in pages(index, replace(SessionFilter(), cursor=first.cursor), expensive)
            for sid in page]
    assert rest == ["s06"]  # continued after the fifth session examined


def test_a_bad_cursor_starts_over(index):
    for cursor in ("garbage!", "W1sxXSwyLDNd", "WyJ4IiwgMSwgMl0"):
        for sort in ("created", "duration"):
            page = list_sessions(index, SessionFilter(sort=sort, cursor=cursor), NOW, page_size=3)
            assert len(page.rows) == 3


def test_parse_filter_falls_back_to_defaults_and_writes_itself_back():
    flt = parse_filter({"range": "1w", "product": "A", "version": "2", "status": "nope",
                        "sort": "bogus", "order": "asc", "state": " a.b=1 "})
    assert (flt.range, flt.status, flt.sort, flt.order, flt.state) == ("1w", "", "created", "asc",
                                                                      "a.b=1")
    assert parse_filter({"version": "2"}).version == ""  # a version belongs to a product
    assert flt.query(cursor="") == "range=1w&product=A&version=2&state=a.b%3D1&order=asc"
    assert SessionFilter().query() == "" and flt.key() == replace(flt, cursor="x").key()
    assert SessionFilter(range="1d").bounds(NOW) == (NOW - 86400, None)
    assert SessionFilter(range="custom", start="bad").bounds(NOW) == (None, None)


@pytest.mark.parametrize("expression, state, expected", [
    ("player.level=3", {"player": {"level": 3}}, True),
    ("player.level=3", {"player": {"level": 3.0}}, True),
    ("player.level=3", {"player": {"level": "3"}}, True),
    ("player.level=3", {"player": {"level": 4}}, False),
    ("flag=true", {"flag": True}, True),
    ("flag=1", {"flag": True}, False),
    ("scene=forest", {"scene": "forest"}, True),
    ('scene="forest"', {"scene": "forest"}, True),
    ("player.name", {"player": {"name": None}}, True),
    ("player.name", {"player": {}}, False),
    ("a.b=1", {"a": 5}, False),
])
def test_state_match(expression, state, expected):
    assert state_match(expression)[1](state) is expected


def test_other_orders_sort_the_newest_matches_and_say_so(index, monkeypatch):
    monkeypatch.setattr(listing_module, "SORT_CAP", 5)
    page = list_sessions(index, SessionFilter(sort="events", order="asc"), NOW, page_size=50)
    assert page.capped and page.total is None
    assert sorted(s.id for s in page.rows) == ["s18", "s19", "s20", "s21", "s22"]
    whole = list_sessions(index, SessionFilter(sort="events", product="A", version="1"), NOW,
                          page_size=50)
    assert not whole.capped and whole.total == 4


def test_filters_without_an_index_stop_within_a_budget_and_continue(index, monkeypatch):
    monkeypatch.setattr(listing_module, "MAX_SCAN", 6)
    flt = SessionFilter(machine="rig-3")
    first = list_sessions(index, flt, NOW, page_size=50)
    assert first.stopped_early and [s.id for s in first.rows] == ["s19"]  # s22 .. s17 tested
    found = [sid for page in pages(index, flt, size=50) for sid in page]
    assert found == ["s19", "s15", "s11", "s07", "s03"]


def test_a_tag_filter_keeps_the_sessions_with_that_tag(store):
    from datacat.broker.apply import apply

    for n, tags in enumerate([{"env": "ci"}, {"env": "prod"}, {"env": "ci", "gpu": "none"}, {}]):
        apply(store, {"sessions": {f"t{n}": {"open": {"product": "P", "version": "1",
                                                      "ts": T0 + n, "tags": tags}}}}, now=T0 + n)

    def ids(tag):
        return [s.id for s in list_sessions(store, SessionFilter(tag=tag), NOW).rows]

    assert ids("env:ci") == ["t2", "t0"] and ids("gpu") == ["t2"] and ids("env:qa") == []
    assert list_sessions(store, SessionFilter(tag="env:ci"), NOW).total is None
