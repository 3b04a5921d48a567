"""Shared records, frames and helpers of the protocol tests."""

from __future__ import annotations

import msgpack
import pytest

from datacat.protocol import (
    PROTOCOL_VERSION,
    RECORD_FIELDS,
    Kind,
    Limits,
    ProtocolError,
    daemon_id_of,
    encode_frame,
)

SID = "0190a6f2-7a1b-7c3d-8e4f-0123456789ab"
TS = 1_700_000_000.25

#: A well-typed value for every field name in ``RECORD_FIELDS`` (names mean one type).
FULL_VALUES = {
    "product": "game", "version": "1.2.3", "pid": 4242, "start_time": TS - 1.5,
    "hostname": "host-1", "machine_id": "machine-1", "tags": {"env": "ci"},
    "sdk": "datacat-py/0.1", "hang_timeout": 30.0, "parent_session_id": "parent-1",
    "fault_file": "/run/user/1000/datacat/faults/s.txt",
    "patch": {"level": 3, "player": {"hp": 10, "inv": ["axe"]}},
    "name": "boss_killed", "level": "info", "category": "gameplay", "labels": ["boss", "fast"],
    "message": "took 12 s", "data": {"boss": "troll"},
    "exception": {"type": "ValueError", "trace": "..."},
    "value": 59.9, "type": "histogram", "unit": "frames", "buckets": [1.0, 10.0, 100.0],
    "reason": "process_vanished", "detail": {"exit_code": -9, "stack": "main.py:10"},
    "stacks": {"MainThread": "main.py:10 in loop"},
}
#: The same with every optional field left out (``None``) and integers for numbers.
MINIMAL_VALUES = {
    **{name: None for name in FULL_VALUES},
    "product": "p", "version": "v", "pid": 1, "start_time": 0, "patch": {}, "name": "e",
    "level": "debug", "labels": [], "value": 1, "type": "counter", "reason": "",
    "stacks": {},
}
#: A value of the wrong type for every field name.
WRONG_TYPE = {
    "product": 1, "version": None, "pid": "4242", "start_time": "yesterday", "hostname": 1,
    "machine_id": 1.5, "tags": ["a"], "sdk": 2, "hang_timeout": "30", "parent_session_id": 7,
    "fault_file": 8, "patch": ["not", "a", "map"], "name": None, "level": 3, "category": 4,
    "labels": "a,b", "message": 5, "data": [1], "exception": "boom", "value": "59.9",
    "type": None, "unit": 6, "buckets": "1,2", "reason": None, "detail": "stack",
    "stacks": [],
}
FIELD_NAMES = {name for names in RECORD_FIELDS.values() for name in names}


def _record(kind: Kind, values: dict, sid: str = SID, ts: float = TS) -> list:
    """``[kind, session_id, ts, *fields]`` with each field taken from ``values`` by name."""
    return [kind, sid, ts, *(values.get(name) for name in RECORD_FIELDS[kind])]


FULL_RECORDS = {kind: _record(kind, FULL_VALUES) for kind in Kind}
MINIMAL_RECORDS = {kind: _record(kind, MINIMAL_VALUES, "s", 0) for kind in Kind}


def table(cases: list) -> list:
    """``(id, *values)`` rows as ``pytest.param``s."""
    return [pytest.param(*case[1:], id=case[0]) for case in cases]


def _frame(records: list, **header) -> bytes:
    return encode_frame(header.get("client_id", "client-1"), header.get("seq", 7),
                        header.get("dropped", 0), records)


def _raw_frame(*fields) -> bytes:
    """A frame packed by hand, so that any header or record can be broken."""
    return msgpack.packb(list(fields), use_bin_type=True)


def _nested(depth: int, leaf=1, container="map"):
    """``depth`` nested containers around ``leaf`` (depth 1 is one map or list)."""
    value = leaf
    for _ in range(depth):
        value = {"k": value} if container == "map" else [value]
    return value


def _state_frame(patch) -> bytes:
    return _frame([[Kind.STATE, "s", 1.0, patch]])


KEY = "k" * 32


def _batch(**overrides) -> dict:
    batch = {"v": PROTOCOL_VERSION, "daemon_id": daemon_id_of(KEY), "key": KEY, "seq": 3, "host": "host-1",
             "sent_at": TS, "stats": {"frames_in": 10},
             "sessions": {SID: {"open": {"product": "game", "version": "1", "ts": TS},
                                "state": [[TS, {"a": 1}]],
                                "events": [{"ts": TS, "name": "e"}],
                                "metrics": [{"ts": TS, "name": "m", "type": "gauge", "last": 1}],
                                "beat": TS,
                                "lifecycle": [[int(Kind.END), TS, {"reason": "normal"}]]}}}
    batch.update(overrides)
    return batch


def _reason(decode, data, *args) -> str:
    with pytest.raises(ProtocolError) as info:
        decode(data, *args)
    return info.value.reason

#: Small limits, so every one of them is easy to reach.
SMALL = Limits(max_frame_bytes=200, max_batch_bytes=300, max_depth=4, max_keys=3,
               max_string=8, max_records=20)
