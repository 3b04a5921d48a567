"""Every page in a real browser: loads clean, draws its graphs, escapes user data."""

from __future__ import annotations

from urllib.parse import quote

from .apps import EVIL, EVIL_VERSION


def test_overview(web, fed):
    page = web.open("/", plots=2)
    assert page.locator('[data-count="total"]').inner_text() == "7"
    assert page.locator('[data-count="crashed"]').inner_text() == "1"
    assert page.locator('[data-count="ever_hung"]').inner_text() == "1"
    recent = page.locator("#recent tbody tr")
    assert recent.count() == 2 and "RuntimeError" not in recent.first.inner_text()
    assert page.locator(f'#recent a[href="/sessions/{fed.crash}"]').count() == 1
    assert page.locator("#rates .xtick text").count() >= 4  # one tick per product version
    web.shot("overview")


def test_sessions_page(web, fed):
    page = web.open("/sessions", plots=2)
    assert page.locator("#sessions-table tbody tr").count() == 7
    page.wait_for_function("() => document.getElementById('cross-metric').dataset.loaded === 'fps'")
    assert page.locator("#metric-name option").all_inner_texts() == [
        "<u>metric</u>", "fps", "frame_ms", "kills", "load_level"]
    web.shot("sessions")


def test_session_page(web, fed):
    page = web.open(f"/sessions/{fed.games[0]}", plots=5)  # the timeline and four metrics
    assert page.locator(".header-facts").inner_text().count("Orbit") == 1
    assert page.locator("#timeline .scatterlayer .trace").count() >= 5  # state + 3 levels + error
    assert page.locator("#state-tree").inner_text().split() == ["level:", "2", "player", "1", "key",
                                                               "hp:", "80", "scene:", '"forest"']
    assert page.locator("#events-table tbody tr").count() == 33  # boot, 30 ticks, level_up, save_failed
    web.shot("session")


def test_crashed_session_shows_its_traceback(web, fed):
    page = web.open(f"/sessions/{fed.crash}", plots=1)
    crash = page.locator("#crash")
    assert "unhandled_exception" in crash.inner_text()
    traceback = page.locator("#python-traceback").inner_text()
    assert traceback.startswith("Traceback (most recent call last):")
    assert "in overheat" in traceback and "RuntimeError: reactor <overheated>" in traceback
    assert page.locator("#timeline .scatterlayer .trace").count() >= 3  # state, exception, crash
    crash.evaluate("section => window.scrollTo(0, section.offsetTop - 8)")
    web.shot("crash")


def test_hung_session_shows_its_hang(web, fed):
    page = web.open(f"/sessions/{fed.hang}", plots=1)
    assert "hung 1×" in page.locator(".headline").inner_text()
    assert page.locator("#timeline .shapelayer path").count() >= 1  # the shaded span
    assert "application_appears_hung" in page.locator("#events-table").inner_text()


def test_product_page(web, fed):
    page = web.open("/products/Orbit", plots=1)
    versions = page.locator("#versions-table tbody tr td:first-child").all_inner_texts()
    assert sorted(versions) == ["1.0", "1.1"]  # in order of first start: the apps ran at once
    assert "RuntimeError: reactor <overheated>" in page.locator("#versions-table").inner_text()
    assert page.locator("#versions .annotation-text").all_text_contents() == [
        "Sessions", "Crash-free sessions %", "Hang rate %", "Median length (s)"]
    web.shot("product")
    index = web.open("/products")
    assert "Orbit" in index.locator("#products-table").inner_text()


def test_user_markup_renders_as_text(web, fed):
    page = web.open("/products/" + quote(EVIL, safe=""), plots=1)
    assert page.locator(".product-name").inner_text() == EVIL
    assert page.locator("#versions-table tbody td").first.inner_text() == EVIL_VERSION
    page = web.open(f"/sessions/{fed.xss}", plots=2)
    assert page.locator(".header-facts dd").first.inner_text() == EVIL
    assert "<script>alert(3)</script>" in page.locator("#state-tree").inner_text()
    assert "<b>bold</b>" in page.locator("#events-table").inner_text()
    rows = page.eval_on_selector_all("#timeline .ytick text", "ts => ts.map(t => t.textContent)")
    assert "<em>lvl</em>" in rows  # the event's level names a timeline row
    page = web.open("/sessions?product=" + quote(EVIL), plots=2)
    assert page.locator("#sessions-table tbody tr").count() == 1
    assert page.locator("#f-product option:checked").inner_text() == EVIL
    page = web.open("/", plots=2)
    ticks = page.eval_on_selector_all("#rates .xtick text", "ts => ts.map(t => t.textContent)")
    assert any(tick.startswith("<script>alert(1)</s…<img src") for tick in ticks), ticks
    inline = page.evaluate("document.querySelectorAll('script:not([src]):not([type])').length")
    assert inline == 0
    # a dialog (alert) would have failed the test in ``web.check``
