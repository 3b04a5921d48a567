"""``/products`` on a live server: every product with its versions, linked from the navigation."""

from __future__ import annotations

import html

from datacat.protocol import Kind
from datacat.web.figures import STATUS_COLORS

from .conftest import unique

T0 = 1_760_000_000.0


def test_the_products_index_lists_versions_sessions_and_crash_free_rates_escaped(web):
    product = unique("<b>Prod</b>")
    crash = [[int(Kind.CRASH), T0 + 9, {"reason": "process_vanished"}]]
    for version, machine, lifecycle in [("1.0", "m1", crash), ("1.0", "m2", []),
                                        ("2.0", "m1", [])]:
        web.seed({unique("s"): {"open": {"product": product, "version": version, "ts": T0,
                                         "machine_id": machine}, "lifecycle": lifecycle}})
    response = web.client.get("/products")
    assert response.status_code == 200 and "text/html" in response.headers["content-type"]
    page = response.text
    assert 'href="/products" aria-current="page">Products</a>' in page
    assert "<b>Prod</b>" not in page and "&lt;b&gt;Prod&lt;/b&gt;" in page
    rows = page.split(html.escape(product) + "</a>")[1].split("</tbody>")[0].split("<tr>")
    assert ">2.0</a>" in rows[0] and '<td class="num">1</td><td class="num">1</td>' in rows[0]
    assert ">1.0</a>" in rows[1]
    assert '<td class="num">2</td><td class="num">2</td>' in rows[1]
    assert '<td class="num">50.0%</td><td class="num">50.0%</td>' in rows[1]
    assert 'href="/products">Products</a>' in web.client.get("/issues").text
    # the stylesheet's status colours are the charts' own
    assert f"--status-crashed: {STATUS_COLORS['crashed']};" in page
    assert f"--status-hung: {STATUS_COLORS['hung']};" in page
