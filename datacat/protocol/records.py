"""Records: the kinds, their fields and types, the protocol's errors and limits."""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["PROTOCOL_VERSION", "Kind", "RECORD_FIELDS", "LIFECYCLE_KINDS", "METRIC_TYPES",
           "InvalidData", "ProtocolError", "Limits", "DEFAULT_LIMITS", "record_as_dict",
           "field_positions", "OPEN_FIELD", "FIELD_TYPES"]

PROTOCOL_VERSION = 1


class Kind(enum.IntEnum):
    """Record kinds.

    The SDK sends ``CRASH`` for an unhandled exception and ``STACKS`` from its watchdog;
    the daemon makes ``CRASH`` (process gone), ``HANG``/``RECOVER`` and ``SUSPEND``/``WAKE``;
    the tier makes ``LOST`` when a daemon goes silent.
    """

    OPEN = 1
    STATE = 2
    EVENT = 3
    METRIC = 4
    BEAT = 5
    PAUSE = 6
    RESUME = 7
    END = 8
    CRASH = 9
    HANG = 10
    RECOVER = 11
    STACKS = 12
    SUSPEND = 13
    WAKE = 14
    LOST = 15


#: Field names after ``kind, session_id, ts`` for each kind, in wire order.
RECORD_FIELDS: dict[Kind, tuple[str, ...]] = {
    Kind.OPEN: ("product", "version", "pid", "start_time", "hostname", "machine_id", "tags",
                "sdk", "hang_timeout", "parent_session_id", "fault_file"),
    Kind.STATE: ("patch",),
    Kind.EVENT: ("name", "level", "category", "labels", "message", "data", "exception"),
    Kind.METRIC: ("name", "value", "type", "unit", "tags", "buckets"),
    Kind.BEAT: (),
    Kind.PAUSE: (),
    Kind.RESUME: (),
    Kind.END: ("reason",),
    Kind.CRASH: ("reason", "detail"),
    Kind.HANG: ("detail",),
    Kind.RECOVER: ("detail",),
    Kind.STACKS: ("stacks",),
    Kind.SUSPEND: ("detail",),
    Kind.WAKE: ("detail",),
    Kind.LOST: ("detail",),
}

#: Kinds that change a session's lifecycle; they travel in a batch's ``lifecycle`` list.
LIFECYCLE_KINDS = frozenset({Kind.PAUSE, Kind.RESUME, Kind.END, Kind.CRASH, Kind.HANG,
                             Kind.RECOVER, Kind.SUSPEND, Kind.WAKE, Kind.LOST})

METRIC_TYPES = frozenset({"gauge", "counter", "histogram", "timer"})
_NUMBER = (int, float)
_OPT_STR = (str, type(None))
_OPT_MAP = (dict, type(None))
#: Expected types of each kind's fields (``None`` entry = any type).
FIELD_TYPES: dict[Kind, tuple] = {
    Kind.OPEN: (str, str, int, _NUMBER, _OPT_STR, _OPT_STR, _OPT_MAP, _OPT_STR, _NUMBER + (type(None),),
                _OPT_STR, _OPT_STR),
    Kind.STATE: (dict,),
    Kind.EVENT: (str, str, _OPT_STR, (list, tuple), _OPT_STR, _OPT_MAP, _OPT_MAP),
    Kind.METRIC: (str, _NUMBER, str, _OPT_STR, _OPT_MAP, (list, tuple, type(None))),
    Kind.BEAT: (),
    Kind.PAUSE: (),
    Kind.RESUME: (),
    Kind.END: (str,),
    Kind.CRASH: (str, _OPT_MAP),
    Kind.HANG: (_OPT_MAP,),
    Kind.RECOVER: (_OPT_MAP,),
    Kind.STACKS: (dict,),
    Kind.SUSPEND: (_OPT_MAP,),
    Kind.WAKE: (_OPT_MAP,),
    Kind.LOST: (_OPT_MAP,),
}


class InvalidData(ValueError):
    """Input that is not valid DataCat data; ``reason`` is a short counter label."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class ProtocolError(InvalidData):
    """A frame, batch or record broke the wire protocol or its limits."""


@dataclass(frozen=True)
class Limits:
    """Bounds every decoder enforces; anything past them is rejected whole.

    Each bound has its own ``ProtocolError.reason``: ``too_large`` (frame/batch bytes),
    ``too_deep``, ``too_many_keys`` (per map), ``string_too_long`` (str or bin) and
    ``too_many_records``. Any array is bounded by ``max(max_keys, max_records)`` and
    reported under whichever of the two set that bound.
    """

    max_frame_bytes: int = 4 * 1024 * 1024
    max_batch_bytes: int = 64 * 1024 * 1024
    max_depth: int = 32
    max_keys: int = 10_000
    max_string: int = 64 * 1024
    max_records: int = 200_000


DEFAULT_LIMITS = Limits()


def record_as_dict(record: list | tuple) -> dict:
    """Name a validated record's kind-specific fields (``ts`` included)."""
    kind = Kind(record[0])
    out = dict(zip(RECORD_FIELDS[kind], record[3:]))
    out["ts"] = record[2]
    return out


def field_positions(kind: Kind) -> dict[str, int]:
    """Where each named field of a ``kind`` record stands in the record array."""
    return {name: index for index, name in enumerate(RECORD_FIELDS[kind], start=3)}


OPEN_FIELD = field_positions(Kind.OPEN)
