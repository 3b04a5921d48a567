"""What a user does: filter and sort, click the timeline, watch the overview, switch theme."""

from __future__ import annotations

import re

import pytest

from .conftest import SHOTS

#: The over-time chart's x range in epoch ms, whatever form Plotly holds it in.
RANGE_MS = """() => document.getElementById('over-time').layout.xaxis.range.map(
    v => typeof v === 'number' ? v : new Date(v.replace(' ', 'T') + 'Z').getTime())"""


def rows(page) -> list[str]:
    return page.locator("#sessions-table tbody tr[data-sid]").evaluate_all(
        "trs => trs.map(tr => tr.dataset.sid)")


def test_filters_change_the_table_and_stay_in_the_url(web, fed):
    page = web.open("/sessions", plots=2)
    assert len(rows(page)) == 7
    page.select_option("#f-product", "Orbit")  # submits by itself: versions depend on it
    page.wait_for_url(re.compile(r"product=Orbit"))
    orbit = rows(page)
    assert len(orbit) == 5 and set(page.locator("#sessions-table tbody td:nth-child(2)")
                                   .all_inner_texts()) == {"Orbit"}
    assert page.locator("#f-version option").all_inner_texts() == ["any", "1.0", "1.1"]
    page.select_option("#f-version", "1.1")
    page.select_option("#f-status", "crashed")
    page.click("#filters button[type=submit]")
    page.wait_for_url(re.compile(r"status=crashed"))
    assert rows(page) == [fed.crash]
    shared = page.url
    page.goto(shared)  # the filter is all in the URL: the same link shows the same table
    assert rows(page) == [fed.crash] and page.locator("#f-status").input_value() == "crashed"

    page.goto(web.base + "/sessions?status=ever_hung")
    assert rows(page) == [fed.hang]
    page.goto(web.base + "/sessions?state=reactor.temp%3D900")
    assert rows(page) == [fed.crash]
    page.fill("input[name=state]", "")
    page.fill("input[name=event]", "boss_fight")
    page.click("#filters button[type=submit]")
    page.wait_for_url(re.compile(r"event=boss_fight"))
    assert rows(page) == [fed.crash]
    page.goto(web.base + "/sessions?machine=no-such-host")
    assert rows(page) == [] and "No sessions match" in page.locator("#sessions-table").inner_text()


def test_sorting_and_paging(web, fed):
    page = web.open("/sessions?sort=events&order=asc", plots=2)
    events = [int(t) for t in page.locator("#sessions-table tbody td:nth-child(6)").all_inner_texts()]
    assert events == sorted(events)
    page.click("#sessions-table th >> text=events")
    page.wait_for_url(lambda url: "sort=events" in url and "order=asc" not in url)  # desc: default
    events = [int(t) for t in page.locator("#sessions-table tbody td:nth-child(6)").all_inner_texts()]
    assert events == sorted(events, reverse=True)
    assert page.locator("#next-page").count() == 0  # all 7 fit on one page


def test_timeline_click_shows_the_state_and_its_diff(web, fed):
    page = web.open(f"/sessions/{fed.games[0]}", plots=1)
    page.wait_for_selector("#timeline[data-clickable]")
    points = page.locator("#timeline .scatterlayer .trace").first.locator("path.point")
    box = points.nth(points.count() - 1).bounding_box()  # the last state change
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.locator("#timeline .hoverlayer .hovertext").wait_for()  # Plotly sees the point
    page.mouse.click(x, y)
    panel = page.locator('#instant .instant[data-kind="change"]')
    panel.wait_for()
    text = panel.inner_text()
    assert "State after change #2" in text  # the app made three, each stored before the next
    assert "level" in panel.locator("li.changed").first.inner_text(), text
    assert "was 1" in panel.locator("li.changed").first.inner_text()
    assert "name" in panel.locator("li.removed").inner_text()
    page.locator("#instant").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "state-diff.png"))


def test_events_list_search_and_instant_button(web, fed):
    page = web.open(f"/sessions/{fed.games[0]}", plots=1)
    page.fill("input[name=q]", "tick 2")
    page.click("#events form button[type=submit]")
    page.wait_for_url(re.compile(r"q=tick\+2"))
    names = page.locator("#events-table tbody td.message").all_inner_texts()
    assert len(names) == 11 and all(name.startswith("tick 2") for name in names)
    page.locator("#events-table [data-instant]").first.click()
    panel = page.locator('#instant .instant[data-kind="event"]')
    panel.wait_for()
    assert "tick" in panel.locator("h3").first.inner_text()


def test_overview_refreshes_in_place_and_keeps_the_zoom(web, fed):
    page = web.open("/?refresh=1", plots=2)
    assert page.locator('[data-count="live"]').inner_text() == "1"
    page.evaluate("window.notReloaded = true")
    page.evaluate("""() => {
        const div = document.getElementById('over-time');
        const [a, b] = div.layout.xaxis.range;
        const start = new Date(a.replace(' ', 'T') + 'Z').getTime();
        const end = new Date(b.replace(' ', 'T') + 'Z').getTime();
        const range = [start + (end - start) / 4, end - (end - start) / 4];
        return Plotly.relayout(div, {'xaxis.range': range});
    }""")
    zoom = page.evaluate(RANGE_MS)
    generation = page.evaluate("document.body.dataset.generation")
    fed.end_live()
    page.wait_for_function(  # a function, not a string: the page's CSP forbids eval
        "() => document.querySelector('[data-count=\"live\"]').textContent === '0'", timeout=30_000)
    assert page.evaluate("window.notReloaded") is True
    assert page.evaluate("document.body.dataset.generation") != generation
    assert page.evaluate(RANGE_MS) == pytest.approx(zoom, abs=1)  # ms: Plotly rewrites the form
    assert page.locator('[data-count="ended"]').inner_text() == "6"  # 3 games, hang, xss, live


def test_theme_follows_the_system_and_switches(browser, fed):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme="dark")
    try:
        page = context.new_page()
        page.goto(fed.stack.url + "/")
        page.wait_for_selector("#rates .main-svg")
        html = page.locator("html")
        assert html.get_attribute("data-theme") == "dark"
        dark_text = page.evaluate("getComputedStyle(document.querySelector('#rates .ytick text')).fill")
        page.screenshot(path=str(SHOTS / "overview-dark.png"))
        page.click("#theme-toggle")  # auto -> dark (kept), -> light
        assert html.get_attribute("data-theme-mode") == "dark"
        page.click("#theme-toggle")
        assert html.get_attribute("data-theme") == "light"
        page.wait_for_function(
            "c => getComputedStyle(document.querySelector('#rates .ytick text')).fill !== c",
            arg=dark_text)
        page.reload()
        assert html.get_attribute("data-theme") == "light"  # the choice is kept
    finally:
        context.close()


def test_narrow_window_has_no_page_wide_scrolling(browser, fed):
    context = browser.new_context(viewport={"width": 400, "height": 800})
    try:
        page = context.new_page()
        for path in ("/", "/sessions", f"/sessions/{fed.crash}", "/products/Orbit"):
            page.goto(fed.stack.url + path)
            page.wait_for_selector(".js-plotly-plot .main-svg")
            width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert width[0] <= width[1], f"{path} is {width[0]} px wide in a {width[1]} px window"
        page.goto(fed.stack.url + "/sessions")
        page.wait_for_selector(".js-plotly-plot .main-svg")
        page.screenshot(path=str(SHOTS / "sessions-narrow.png"))
    finally:
        context.close()
