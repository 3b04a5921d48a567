"""``datacat_issues{product,version,status}``: issues seen in each version by release status,
from ``Store.issues()`` (figures kept at write time: no event is read)."""

from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily

from datacat.broker.issues import release_status

from ..issue_list import RELEASE_STATUSES, product_versions

__all__ = ["issue_families"]


def issue_families(issues: list[dict] | None, rollups: list[dict]) -> list:
    """Every version with sessions gets all three statuses (zeros included), so an alert
    can compare a count with its past; nothing when the issues were not read."""
    if issues is None:
        return []
    versions = product_versions(rollups)
    counts = {(product, version, status): 0 for product, known in versions.items()
              for version in known for status in RELEASE_STATUSES}
    for issue in issues:
        for product in {row["product"] for row in issue["versions"]}:
            for version, status in release_status(issue, product,
                                                  versions.get(product, [])).items():
                key = (product, version, status)
                counts[key] = counts.get(key, 0) + 1
    family = GaugeMetricFamily(
        "datacat_issues", "Issues seen in the version, by release status: new (first seen "
        "there), regressed (back after a version without it), ongoing.",
        labels=["product", "version", "status"])
    for (product, version, status), count in sorted(counts.items()):
        family.add_metric([str(product), str(version), status], count)
    return [family]
