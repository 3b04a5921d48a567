"""``check_tree``: depth, map keys and Timestamps anywhere in a tree."""

from __future__ import annotations

import msgpack
import pytest

from datacat.protocol import ProtocolError, check_tree
from datacat.protocol.records import Limits


def _nested(depth: int, leaf=1):
    """A tree of ``depth`` containers, maps and lists in turn, ``leaf`` at the bottom."""
    value = leaf
    for level in range(depth):
        value = {"k": value} if level % 2 else [0, value]
    return value


@pytest.mark.parametrize("depth", [1, 2, 7, 8])
def test_depth_up_to_the_limit_passes_and_one_more_is_refused(depth):
    limits = Limits(max_depth=depth)
    check_tree(_nested(depth), limits)
    with pytest.raises(ProtocolError) as error:
        check_tree(_nested(depth + 1), limits)
    assert error.value.reason == "too_deep"


def test_a_very_deep_tree_is_refused_without_exhausting_the_stack():
    with pytest.raises(ProtocolError) as error:
        check_tree(_nested(5_000), Limits(max_depth=4_000))  # deeper than Python's stack
    assert error.value.reason == "too_deep"


@pytest.mark.parametrize("key", [1, None, 1.5, b"k"])
def test_a_key_that_is_not_text_is_refused_at_any_depth(key):
    with pytest.raises(ProtocolError) as error:
        check_tree({"a": [{"b": {key: 1}}]})
    assert error.value.reason == "bad_key"


def test_timestamps_become_text_in_maps_and_lists_at_any_depth():
    stamp = msgpack.Timestamp(0, 0)
    tree = {"at": stamp, "deep": [1, {"at": stamp, "list": [stamp, "x"]}]}
    check_tree(tree)
    text = "1970-01-01T00:00:00Z"
    assert tree == {"at": text, "deep": [1, {"at": text, "list": [text, "x"]}]}
