"""Wire protocol: limits: the value at the limit passes, one past it fails with the limit's reason."""

from __future__ import annotations

import msgpack
import pytest

from datacat.protocol import (
    PROTOCOL_VERSION,
    Kind,
    Limits,
    decode_ack,
    decode_batch,
    decode_frame,
    encode_batch,
)

from .support import MINIMAL_RECORDS, SMALL, _batch, _frame, _nested, _reason, _state_frame, table

LIMIT_CASES = [
    # (id, decoder, payload at the limit, payload past it, limits, reason)
    ("frame_bytes", decode_frame, _state_frame({"s": "x" * 100}), _state_frame({"s": "x" * 200}),
     Limits(max_frame_bytes=len(_state_frame({"s": "x" * 100}))), "too_large"),
    ("batch_bytes", decode_batch, encode_batch(_batch(host="h" * 10)),
     encode_batch(_batch(host="h" * 11)), Limits(max_batch_bytes=len(encode_batch(
         _batch(host="h" * 10)))), "too_large"),
    ("depth_maps", decode_frame, _state_frame(_nested(4)), _state_frame(_nested(5)), SMALL,
     "too_deep"),
    ("depth_lists", decode_frame, _state_frame({"k": _nested(3, container="list")}),
     _state_frame({"k": _nested(4, container="list")}), SMALL, "too_deep"),
    ("depth_event_data", decode_frame,
     _frame([[Kind.EVENT, "s", 1, "e", "info", None, [], None, _nested(4), None]]),
     _frame([[Kind.EVENT, "s", 1, "e", "info", None, [], None, _nested(5), None]]), SMALL,
     "too_deep"),
    ("depth_batch", decode_batch, encode_batch(_batch(stats={"x": _nested(2)})),
     encode_batch(_batch(stats={"x": _nested(3)})), Limits(max_depth=4), "too_deep"),
    ("keys", decode_frame, _state_frame({"a": 1, "b": 2, "c": 3}),
     _state_frame({"a": 1, "b": 2, "c": 3, "d": 4}), SMALL, "too_many_keys"),
    ("keys_nested", decode_frame, _state_frame({"a": {"x": 1, "y": 2, "z": 3}}),
     _state_frame({"a": {"w": 0, "x": 1, "y": 2, "z": 3}}), SMALL, "too_many_keys"),
    ("string", decode_frame, _state_frame({"a": "x" * 8}), _state_frame({"a": "x" * 9}), SMALL,
     "string_too_long"),
    ("string_key", decode_frame, _state_frame({"k" * 8: 1}), _state_frame({"k" * 9: 1}), SMALL,
     "string_too_long"),
    ("string_bin", decode_frame, _state_frame({"a": b"x" * 8}), _state_frame({"a": b"x" * 9}),
     SMALL, "string_too_long"),
    ("records", decode_frame, _frame([MINIMAL_RECORDS[Kind.BEAT]] * 2),
     _frame([MINIMAL_RECORDS[Kind.BEAT]] * 3), Limits(max_records=2), "too_many_records"),
]


@pytest.mark.parametrize("decode,at_limit,past_limit,limits,reason", table(LIMIT_CASES))
def test_each_limit_is_enforced_with_its_reason(decode, at_limit, past_limit, limits, reason):
    decode(at_limit, limits)
    assert _reason(decode, past_limit, limits) == reason


def test_limit_cases_cover_every_field_of_limits():
    reasons = {case[-1] for case in LIMIT_CASES}
    assert reasons == {"too_large", "too_deep", "too_many_keys", "string_too_long",
                       "too_many_records"}
    assert len(Limits.__dataclass_fields__) == 6  # a new limit needs a case above


# Past the *default* limits: what a client could send at a real daemon or tier.
DEFAULT_LIMIT_CASES = [
    ("frame_bytes", decode_frame, b"\x00" * (Limits().max_frame_bytes + 1), "too_large"),
    ("batch_bytes", decode_batch, b"\x00" * (Limits().max_batch_bytes + 1), "too_large"),
    ("ack_bytes", decode_ack, msgpack.packb({"seq": 1, "reason": "x" * 5000}), "too_large"),
    ("depth_33", decode_frame, _state_frame(_nested(Limits().max_depth + 1)), "too_deep"),
    ("keys", decode_frame, _state_frame({str(i): i for i in range(Limits().max_keys + 1)}),
     "too_many_keys"),
    ("string", decode_frame, _state_frame({"a": "x" * (Limits().max_string + 1)}),
     "string_too_long"),
    ("records", decode_frame, _frame([MINIMAL_RECORDS[Kind.BEAT]] * (Limits().max_records + 1)),
     "too_many_records"),
    ("sessions_in_batch", decode_batch,
     encode_batch(_batch(sessions={str(i): {} for i in range(Limits().max_keys + 1)})),
     "too_many_keys"),
]


@pytest.mark.parametrize("decode,data,reason", table(DEFAULT_LIMIT_CASES))
def test_default_limits_reject(decode, data, reason):
    assert _reason(decode, data) == reason


def test_default_depth_limit_itself_is_accepted():
    assert decode_frame(_state_frame(_nested(Limits().max_depth))).records


# A recursion bomb: 100,000 nested containers written as raw msgpack bytes.
_FRAME_HEAD = (b"\x95" + msgpack.packb(PROTOCOL_VERSION) + msgpack.packb("c") + b"\x01\x00"
               + b"\x91\x94" + msgpack.packb(int(Kind.STATE)) + msgpack.packb("s") + b"\x01")
BOMBS = [
    ("lists", b"\x91" * 100_000 + b"\xc0"),
    ("maps", b"\x81\xa1k" * 100_000 + b"\xc0"),
    ("mixed", b"\x81\xa1k\x91" * 50_000 + b"\xc0"),
]


@pytest.mark.parametrize("bomb", table(BOMBS))
@pytest.mark.parametrize("where", ["whole_payload", "inside_a_state_patch"])
def test_recursion_bomb_is_too_deep(bomb, where):
    frame = bomb if where == "whole_payload" else _FRAME_HEAD + b"\x81\xa1k" + bomb
    assert _reason(decode_frame, frame) == "too_deep"
    assert _reason(decode_batch, bomb) == "too_deep"
