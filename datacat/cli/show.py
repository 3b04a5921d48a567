"""Human output for the CLI: aligned tables, local ISO times, byte sizes; ``--json`` for scripts."""

from __future__ import annotations

import json
from datetime import datetime

__all__ = ["local_time", "size", "table", "as_json", "fields"]


def local_time(epoch: float | None) -> str:
    """``2026-12-04T21:05:13+01:00`` in the local time zone, or ``-``."""
    if not isinstance(epoch, int | float) or epoch <= 0:
        return "-"
    return datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="seconds")


def size(count: int | float) -> str:
    """``1.5 MiB`` style."""
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def table(headers: list[str], rows: list[list[object]]) -> str:
    """Columns padded to their widest cell; ``(none)`` for no rows."""
    if not rows:
        return "(none)"
    cells = [[str(cell) for cell in row] for row in [headers, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
                     for row in cells)


def fields(pairs: list[tuple[str, object]]) -> str:
    """``name   value`` lines, names aligned."""
    width = max((len(name) for name, _ in pairs), default=0)
    return "\n".join(f"{name.ljust(width)}  {value}" for name, value in pairs)


def as_json(value: object) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str)
