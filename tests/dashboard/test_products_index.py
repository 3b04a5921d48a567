"""The products index view model: products by name, versions newest first, rates in percent."""

from __future__ import annotations

from web.dashboard.products_index import products_index


def _rollup(product, version, total, crashed, machines, crashed_machines):
    return {"product": product, "version": version, "total": total,
            "by_status": {"ended": total - crashed, "crashed": crashed},
            "hung_sessions": 0, "machines": machines, "crashed_machines": crashed_machines,
            "hung_machines": 0}


def test_products_are_listed_by_name_with_versions_newest_first_and_their_rates():
    listed = products_index([_rollup("Zed", "1.0", 4, 1, 2, 1),
                             _rollup("App", "1.10", 8, 2, 4, 1),
                             _rollup("App", "1.9", 2, 0, 1, 0)])
    assert [p["product"] for p in listed] == ["App", "Zed"]
    app = listed[0]
    assert app["sessions"] == 10
    assert [v["version"] for v in app["versions"]] == ["1.10", "1.9"]
    assert app["versions"][0]["crash_free_sessions"] == 75.0
    assert app["versions"][0]["crash_free_machines"] == 75.0
    assert app["versions"][1]["crash_free_sessions"] == 100.0


def test_a_version_without_machines_has_no_machine_rate():
    (only,) = products_index([_rollup("P", "1", 1, 0, 0, 0)])
    assert only["versions"][0]["crash_free_machines"] is None
    assert products_index([]) == []
