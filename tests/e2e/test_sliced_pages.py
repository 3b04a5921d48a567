"""Sliced pages in a real browser, against a hand count of what the apps did: the games are
tagged ``env:e2e`` and end at ``level`` 2; only the crash app reaches ``level`` 3."""

from __future__ import annotations

from urllib.parse import quote

from .apps import EVIL


def _cells(page, product: str, version: str) -> list[str]:
    link = page.locator(f'a[href="/sessions?product={product}&version={version}"]')
    row = page.locator("#products-table tbody tr", has=link)
    return row.locator("td.num").all_inner_texts()


def test_products_by_tag_and_by_state_value(web, fed):
    page = web.open("/products?tag=env:e2e")
    assert page.locator(".slice-note").count() == 1
    # one tagged game per version: sessions, machines, crash-free sessions and machines
    for product, version in (("Orbit", "1.0"), ("Orbit", "1.1"), ("Forge", "2.0")):
        assert _cells(page, product, version) == ["1", "1", "100.0%", "100.0%"]
    page = web.open("/products?state=" + quote("level=3"))
    assert _cells(page, "Orbit", "1.1") == ["1", "1", "0.0%", "0.0%"]  # the crash alone
    assert _cells(page, "Orbit", "1.0") == ["0", "0", "—", "—"]


def test_compare_and_issues_in_a_state_slice(web, fed):
    page = web.open("/compare?product=Orbit&a=1.0&b=1.1&state=" + quote("level=3"))
    health = page.locator("#compare-health")
    assert health.locator("tr", has_text="sessions").first.locator("td").all_inner_texts() \
        == ["0", "1"]
    assert "RuntimeError" in page.locator(".issue-group").first.inner_text()

    page = web.open("/issues?state=" + quote("level=3"))
    rows = page.locator("#issues-table tbody tr")
    assert rows.count() == 1 and "RuntimeError" in rows.first.inner_text()
    assert rows.first.locator("td.slice-sessions").inner_text() == "1"
    rows.first.locator("a").first.click()
    page.wait_for_selector("#issue-sessions")
    assert page.locator("#issue-sessions tbody tr").count() == 1
    assert page.locator(f'#issue-sessions a[href="/sessions/{fed.crash}"]').count() == 1

    page = web.open("/issues?tag=env:e2e")  # no tagged game raised anything
    assert page.locator("#issues-table").count() == 0


def test_compare_shows_a_metric_and_the_slice_text_stays_text(web, fed):
    page = web.open("/compare?product=Orbit&a=1.0&b=1.1&metric=fps&tag=env:e2e")
    metric = page.locator("#compare-metric")
    p50 = metric.locator("tr", has_text="p50").locator("td").all_inner_texts()
    assert len(p50) == 2 and "—" not in p50
    assert metric.locator("tr", has_text="sessions with it").locator("td").all_inner_texts() \
        == ["1 of 1 read", "1 of 1 read"]

    page = web.open("/issues?tag=" + quote(EVIL) + "&machine=" + quote(EVIL))
    assert page.locator('input[name="tag"]').input_value() == EVIL
    assert EVIL in page.locator(".slice-note").inner_text()
