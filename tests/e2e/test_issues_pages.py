"""The issues pages in a real browser: the crash app's exception, listed once, and its stack."""

from __future__ import annotations


def test_issues_page_lists_the_crash_once_and_opens_its_stack(web, fed):
    page = web.open("/issues")
    rows = page.locator("#issues-table tbody tr")
    assert rows.count() == 1  # the only exception any app raised
    row = rows.first
    assert "RuntimeError" in row.inner_text() and "reactor <overheated>" in row.inner_text()
    assert row.locator("td.num").all_inner_texts()[:2] == ["1", "1"]  # logged, then crashed: once
    assert "Orbit 1.1" in row.inner_text() and row.locator(".release-new").count() == 1
    web.shot("issues")
    row.locator("a").first.click()
    page.wait_for_selector("#issue-sessions")
    assert page.locator(f'#issue-sessions a[href="/sessions/{fed.crash}"]').count() == 1
    stack = page.locator("pre.stack").first.inner_text()
    assert "in overheat" in stack and "RuntimeError: reactor <overheated>" in stack
    assert page.locator('nav a[href="/issues"][aria-current="page"]').count() == 1


def test_compare_page_shows_the_crash_as_new_in_the_later_version(web, fed):
    page = web.open("/compare?product=Orbit&a=1.0&b=1.1")
    health = page.locator("#compare-health")
    assert health.locator("thead th").all_inner_texts()[1:] == ["1.0", "1.1"]
    crash_free = health.locator("tr", has_text="crash-free sessions").locator("td")
    assert crash_free.all_inner_texts()[0] == "100.0%" and crash_free.all_inner_texts()[1] != "—"
    groups = page.locator(".issue-group")
    assert groups.count() == 3 and "RuntimeError" in groups.nth(0).inner_text()
    assert "RuntimeError" not in groups.nth(1).inner_text() + groups.nth(2).inner_text()
    web.shot("compare")
