"""The time-based counts (``timeline.py``) on the key-value layer, kept in each step.

Keys (``␟`` is ``SEP``):

- ``tc/<bucket>/<start>``: the sessions created in that hour or day,
  ``{product␟version: {"s": {status: n}, "h": ever hung, "e": hang episodes,
  "m": machines}}``; ``tm/<bucket>/<start>/<product>␟<version>␟<machine>`` marks a machine
  counted there (machines are counted once, when first seen, and never taken away);
- ``tx/<product>␟<version>``: ``{"first_seen", "episodes", "durations": {bucket: n}}``, the
  earliest start, hang episodes and a histogram of the ended sessions' durations;
- indexes ``x`` (a session is appended each time its incident time changes) and ``h``
  (each session once, at its first hang), read like the other session indexes.
"""

from __future__ import annotations

from .codec import SEP, pack, unpack
from .timeline import BUCKETS, Facts, bucket_starts, duration_bucket, histogram_median

__all__ = ["move", "new_session_keys", "read_counts", "read_extras", "INCIDENTS", "HUNG"]

#: The index names of incidents and of sessions that ever hung.
INCIDENTS, HUNG = "x", "h"


def _pair_key(facts: Facts) -> str:
    return facts.product + SEP + facts.version


def _bump(cell: dict, name: str, key, step: int) -> None:
    """``cell[name][key] += step`` (``key=None``: ``cell[name] += step``), dropping zeros."""
    if key is None:
        cell[name] = cell.get(name, 0) + step
        if not cell[name]:
            del cell[name]
        return
    counts = cell.setdefault(name, {})
    counts[key] = counts.get(key, 0) + step
    if not counts[key]:
        del counts[key]
    if not counts:
        del cell[name]


def _count(txn, facts: Facts, step: int) -> None:
    """Add (``step=1``) or take away (``-1``) a session in its hour's and its day's count."""
    pair = _pair_key(facts)
    for bucket in BUCKETS:
        key = f"tc/{bucket}/{int(facts.created // bucket) * bucket}"
        counts = unpack(txn._get_raw(key), {})
        cell = counts.setdefault(pair, {})
        _bump(cell, "s", facts.status, step)
        if facts.hangs:
            _bump(cell, "h", None, step)
            _bump(cell, "e", None, step * facts.hangs)
        if not cell:
            del counts[pair]
        txn._set_raw(key, pack(counts) if counts else None)


def _count_machine(txn, facts: Facts) -> None:
    """Count the session's machine in its hour and day, unless already counted there."""
    pair = _pair_key(facts)
    for bucket in BUCKETS:
        start = int(facts.created // bucket) * bucket
        mark = f"tm/{bucket}/{start}/{pair}{SEP}{facts.machine}"
        if txn._get_raw(mark) is not None:
            continue
        txn._set_raw(mark, b"")
        key = f"tc/{bucket}/{start}"
        counts = unpack(txn._get_raw(key), {})
        _bump(counts.setdefault(pair, {}), "m", None, 1)
        txn._set_raw(key, pack(counts))


def _extras(txn, facts: Facts, step: int) -> None:
    """Episodes and the duration histogram of its (product, version); first start on add."""
    key = "tx/" + _pair_key(facts)
    extras = unpack(txn._get_raw(key), {})
    if step > 0 and facts.created < extras.get("first_seen", float("inf")):
        extras["first_seen"] = facts.created
    if facts.hangs:
        extras["episodes"] = extras.get("episodes", 0) + step * facts.hangs
    if facts.duration is not None:
        _bump(extras, "durations", duration_bucket(facts.duration), step)
    txn._set_raw(key, pack(extras))


def _counted(facts: Facts | None) -> tuple | None:
    return None if facts is None else (facts.status, facts.pair, facts.created, facts.hangs)


def _extra(facts: Facts | None) -> tuple | None:
    return None if facts is None else (facts.pair, facts.hangs, facts.duration)


def new_session_keys(facts: Facts) -> list[str]:
    """The keys ``move`` reads to count a session stored for the first time."""
    pair = _pair_key(facts)
    keys = ["tx/" + pair]
    for bucket in BUCKETS:
        start = int(facts.created // bucket) * bucket
        keys.append(f"tc/{bucket}/{start}")
        if facts.machine:
            keys.append(f"tm/{bucket}/{start}/{pair}{SEP}{facts.machine}")
    return keys


def move(txn, sid: str, before: Facts | None, after: Facts | None) -> None:
    """Count a session's step from ``before`` to ``after`` (``None``: not stored)."""
    if _counted(before) != _counted(after):
        for facts, step in ((before, -1), (after, 1)):
            if facts is not None:
                _count(txn, facts, step)
    if before is None or _extra(before) != _extra(after):
        for facts, step in ((before, -1), (after, 1)):
            if facts is not None and (step > 0 or facts.hangs or facts.duration is not None):
                _extras(txn, facts, step)
    if after is None:
        return
    if after.machine and (before is None or (before.machine, before.pair, before.created)
                          != (after.machine, after.pair, after.created)):
        _count_machine(txn, after)
    if after.incident is not None and (before is None or before.incident != after.incident):
        txn._index_one(INCIDENTS, sid)
    if after.hangs and not (before and before.hangs):
        txn._index_one(HUNG, sid)


def read_counts(get_many, bucket: int, since: float, until: float, product: str | None,
                version: str | None) -> list[dict]:
    """``Store.session_counts`` from the ``tc/`` keys (``get_many`` reads raw values)."""
    starts = bucket_starts(bucket, since, until)
    rows = []
    for start, raw in zip(starts, get_many([f"tc/{bucket}/{start}" for start in starts])):
        for pair, cell in sorted(unpack(raw, {}).items()):
            if not cell.get("s"):  # only machines counted there, its sessions moved away
                continue
            row_product, row_version = pair.split(SEP, 1)
            if product is not None and row_product != product:
                continue
            if version is not None and row_version != version:
                continue
            rows.append({"at": float(start), "product": row_product, "version": row_version,
                         "by_status": cell.get("s", {}), "hung": cell.get("h", 0),
                         "episodes": cell.get("e", 0), "machines": cell.get("m", 0)})
    return rows


def read_extras(raw: bytes | None) -> dict:
    """A rollup's ``first_seen``, ``hang_episodes`` and ``median_duration`` from ``tx/``."""
    extras = unpack(raw, {})
    return {"first_seen": extras.get("first_seen"), "hang_episodes": extras.get("episodes", 0),
            "median_duration": histogram_median(extras.get("durations", {}))}
