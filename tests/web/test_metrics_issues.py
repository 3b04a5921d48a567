"""``datacat_issues{product,version,status}`` on ``/metrics``: issues by release status per
version, as a hand count of the seeded exceptions says."""

from __future__ import annotations

from .conftest import unique
from .test_metrics import sample, scrape

T0 = 1_760_000_000.0


def test_issues_are_counted_by_release_status_per_version(web):
    """A in 1.0 and 2.0 (new, then ongoing); B in 2.0 only (new); C in 1.0, not in 2.0, back
    in 3.0 (new, then regressed)."""
    product, kinds = unique("MetIssues"), {name: unique(name) for name in "ABC"}
    plan = [("1.0", "AC"), ("2.0", "AB"), ("3.0", "C"), ("3.0", "")]
    for n, (version, raised) in enumerate(plan):
        web.seed({unique("s"): {
            "open": {"product": product, "version": version, "ts": T0 + n, "machine_id": "m1"},
            "events": [{"ts": T0 + n, "name": "exception", "level": "error",
                        "exception": {"type": kinds[name], "message": "x",
                                      "frames": [["/app/a.py", name, 1, True]]}}
                       for name in raised]}})
    families = scrape(web)
    counts = {(version, status): sample(families, "datacat_issues", "datacat_issues",
                                        product=product, version=version, status=status)
              for version in ("1.0", "2.0", "3.0") for status in ("new", "regressed", "ongoing")}
    assert counts == {("1.0", "new"): 2, ("1.0", "regressed"): 0, ("1.0", "ongoing"): 0,
                      ("2.0", "new"): 1, ("2.0", "regressed"): 0, ("2.0", "ongoing"): 1,
                      ("3.0", "new"): 0, ("3.0", "regressed"): 1, ("3.0", "ongoing"): 0}
