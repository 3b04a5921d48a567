"""Time series for Grafana (Infinity): sessions bucketed by start time, one row per step.

Every series counts sessions by when they *started* (cohorts): a session that started at
09:50 and crashed at 10:05 is in the 09:50 bucket. Rows are "wide": ``{"time", col: n}``
with every column in every row, so a table or time-series panel reads them as they are.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict

from datacat.broker.store import STATUSES

from ..timefmt import to_rfc3339

__all__ = ["METRICS", "MAX_POINTS", "MAX_COLUMNS", "parse_step", "auto_step", "build_series",
           "series_from_counts"]

#: Series ``GET /api/v1/series?metric=`` serves.
METRICS = ("sessions", "crash_free_rate", "hang_free_rate", "hang_episodes", "crash_reasons",
           "adoption_sessions", "adoption_machines")
#: Most rows one answer holds (``(to - from) / step``).
MAX_POINTS = 2000
#: Most version or reason columns (the rest: versions left out, reasons as ``other``).
MAX_COLUMNS = 20
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_NICE = (60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 7 * 86400)
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhdw]?)\Z")


def parse_step(text: str) -> float:
    """Seconds from ``"300"``, ``"30s"``, ``"5m"``, ``"1h"``, ``"1d"`` or ``"1w"``."""
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError("expected seconds or a duration like 30s, 5m, 1h, 1d")
    seconds = float(match.group(1)) * _UNITS[match.group(2) or "s"]
    if not 1 <= seconds <= 366 * 86400:
        raise ValueError("must be between 1 second and 366 days")
    return seconds


def auto_step(span: float) -> int:
    """The smallest "nice" step giving at most 200 rows for ``span`` seconds (whole weeks
    beyond 200 weeks)."""
    week = _NICE[-1]
    return next((step for step in _NICE if span / step <= 200), week * math.ceil(span / week / 200))


def _label(summary, product: str | None) -> str:
    return summary.version if product else f"{summary.product} {summary.version}"


def _top(counter: Counter, n: int) -> list[str]:
    return sorted(key for key, _ in counter.most_common(n))


def _grid(start: float, end: float, step: float) -> tuple[float, int]:
    """``(first bucket start, number of buckets)`` covering ``start..end``."""
    first = math.floor(start / step) * step
    return first, max(1, math.ceil((end - first) / step))


class _Cells:
    """Per bucket and column: the counted value, the sessions behind a rate, and weights."""

    def __init__(self):
        self.cells: dict = defaultdict(Counter)  # bucket -> column -> n
        self.totals: dict = defaultdict(Counter)  # bucket -> column -> sessions (for rates)
        self.weight: Counter = Counter()  # column -> sessions (or crashes) over the range

    def add(self, metric: str, bucket: int, column: str, total: int, crashed: int, hung: int,
            episodes: int, machines: int) -> None:
        """Count ``total`` sessions of one version in ``bucket`` for a per-version metric."""
        self.weight[column] += total
        self.totals[bucket][column] += total
        self.cells[bucket][column] += {"hang_episodes": episodes, "crash_free_rate": crashed,
                                       "adoption_sessions": total,
                                       "adoption_machines": machines}.get(metric, hung)

    def table(self, metric: str, first: float, count: int, step: float) -> dict:
        if metric == "sessions":
            columns = list(STATUSES)
        elif metric == "crash_reasons":
            columns = _top(self.weight, MAX_COLUMNS)
            if len(self.weight) > MAX_COLUMNS:
                for row in self.cells.values():
                    row["other"] = sum(n for reason, n in row.items() if reason not in columns)
                columns.append("other")
        else:
            columns = _top(self.weight, MAX_COLUMNS)
        rows = []
        for bucket in range(count):
            row = {"time": to_rfc3339(first + bucket * step)}
            for column in columns:
                n = self.cells[bucket][column]
                if metric.endswith("_rate"):
                    seen = self.totals[bucket][column]
                    row[column] = 1.0 - n / seen if seen else None
                else:
                    row[column] = n
            rows.append(row)
        return {"columns": ["time", *columns], "rows": rows}


def build_series(metric: str, summaries, start: float, end: float, step: float,
                 product: str | None = None) -> dict:
    """``{"columns", "rows"}`` of ``metric`` over sessions started in ``start..end``.

    ``summaries`` are already filtered (product, version, start time). Rates are 0..1
    and ``null`` in a bucket where a version had no session.
    """
    first, count = _grid(start, end, step)
    out = _Cells()
    machines: set = set()  # (bucket, column, machine) already counted
    for summary in summaries:
        bucket = min(count - 1, int((summary.created - first) // step))
        if metric == "sessions":
            out.cells[bucket][summary.status] += 1
        elif metric == "crash_reasons":
            if summary.status == "crashed":
                out.cells[bucket][summary.reason or "unknown"] += 1
                out.weight[summary.reason or "unknown"] += 1
        else:
            column = _label(summary, product)
            new_machine = bool(summary.machine) and (bucket, column, summary.machine) not in machines
            machines.add((bucket, column, summary.machine))
            out.add(metric, bucket, column, 1, summary.status == "crashed", summary.hangs > 0,
                    summary.hangs, int(new_machine))
    return out.table(metric, first, count, step)


def series_from_counts(metric: str, rows: list[dict], start: float, end: float, step: float,
                       product: str | None = None) -> dict:
    """``build_series`` from ``Store.session_counts`` rows whose buckets divide ``step``
    (every metric but ``crash_reasons``; ``adoption_machines`` only from rows of the step's
    own width: distinct machines do not add up)."""
    first, count = _grid(start, end, step)
    out = _Cells()
    for row in rows:
        bucket = min(count - 1, max(0, int((row["at"] - first) // step)))
        if metric == "sessions":
            for status, n in row["by_status"].items():
                out.cells[bucket][status] += n
            continue
        label = row["version"] if product else f"{row['product']} {row['version']}"
        out.add(metric, bucket, label, sum(row["by_status"].values()),
                row["by_status"].get("crashed", 0), row["hung"], row["episodes"], row["machines"])
    return out.table(metric, first, count, step)
