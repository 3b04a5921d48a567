"""The store's ``pack`` writes the bytes msgpack's ``packb`` would, so stored data read the same."""

from __future__ import annotations

import msgpack
from hypothesis import given, settings
from hypothesis import strategies as st

from datacat.broker.store.codec import pack, unpack

_SCALARS = (st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1)
            | st.floats(allow_nan=False) | st.text(max_size=300) | st.binary(max_size=300))
_KEYS = st.text(max_size=40) | st.integers(-(2**63), 2**63 - 1)
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=20)
                       | st.dictionaries(_KEYS, inner, max_size=20), max_leaves=60)


@settings(max_examples=400, deadline=None, database=None)
@given(_VALUES)
def test_pack_writes_msgpack_bytes(value):
    assert pack(value) == msgpack.packb(value, use_bin_type=True)


def test_lengths_at_each_format_boundary_pack_like_msgpack():
    for size in (15, 16, 31, 32, 255, 256, 65535, 65536):
        for value in ("x" * size, b"x" * size, list(range(size)),
                      {str(n): n for n in range(size)}):
            assert pack(value) == msgpack.packb(value, use_bin_type=True)


def test_tuples_nan_and_types_only_msgpack_encodes():
    assert pack((1, "a")) == msgpack.packb([1, "a"], use_bin_type=True)
    assert pack(float("nan")) == msgpack.packb(float("nan"))
    stamp = msgpack.Timestamp(1, 2)
    assert unpack(pack({"at": stamp})) == {"at": stamp}
