"""Deep merge and diff: the one merge every part of DataCat uses."""

from __future__ import annotations

import copy
from contextlib import contextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datacat.merge import deep_merge, diff


def typed(value):
    """``value`` with every scalar tagged by its type, so ``1``, ``1.0`` and ``True`` differ."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    return (type(value).__name__, value)


def table(cases: list) -> list:
    """``(id, *values)`` rows as ``pytest.param``s."""
    return [pytest.param(*case[1:], id=case[0]) for case in cases]


@contextmanager
def untouched(*docs):
    """Fail if the block mutates any of ``docs``."""
    before = copy.deepcopy(docs)
    yield
    assert typed(list(docs)) == typed(list(before)), "an input was mutated"


MERGES = [
    # (id, base, patch, expected)
    ("empty_patch", {"a": 1}, {}, {"a": 1}),
    ("empty_base", {}, {"a": 1}, {"a": 1}),
    ("add_key", {"a": 1}, {"b": 2}, {"a": 1, "b": 2}),
    ("replace_scalar", {"a": 1}, {"a": 2}, {"a": 2}),
    ("maps_merge", {"a": {"x": 1, "y": 2}}, {"a": {"y": 3, "z": 4}},
     {"a": {"x": 1, "y": 3, "z": 4}}),
    ("maps_merge_deep", {"a": {"b": {"c": {"d": 1, "e": 2}}}}, {"a": {"b": {"c": {"e": 3}}}},
     {"a": {"b": {"c": {"d": 1, "e": 3}}}}),
    ("empty_map_patch_keeps_map", {"a": {"x": 1}}, {"a": {}}, {"a": {"x": 1}}),
    ("none_deletes_top", {"a": 1, "b": 2}, {"a": None}, {"b": 2}),
    ("none_deletes_nested", {"a": {"x": 1, "y": 2}}, {"a": {"x": None}}, {"a": {"y": 2}}),
    ("none_deletes_deep", {"a": {"b": {"c": {"d": 1, "e": 2}}}},
     {"a": {"b": {"c": {"d": None}}}}, {"a": {"b": {"c": {"e": 2}}}}),
    ("none_deletes_subtree", {"a": {"b": {"c": 1}}, "k": 0}, {"a": None}, {"k": 0}),
    ("delete_last_key_leaves_empty_map", {"a": {"x": 1}}, {"a": {"x": None}}, {"a": {}}),
    ("delete_missing_top_is_noop", {"a": 1}, {"zz": None}, {"a": 1}),
    ("delete_missing_nested_is_noop", {"a": {"x": 1}}, {"a": {"zz": None}}, {"a": {"x": 1}}),
    ("delete_missing_on_empty", {}, {"a": None}, {}),
    # RFC 7386 (JSON merge patch): a map patch on a missing key makes a map first
    ("delete_under_missing_parent_makes_map", {}, {"a": {"b": None}}, {"a": {}}),
    ("delete_and_set_together", {"a": 1, "b": 2}, {"a": None, "c": 3}, {"b": 2, "c": 3}),
    ("none_inside_new_map_is_dropped", {}, {"a": {"x": None, "y": 1}}, {"a": {"y": 1}}),
    ("list_replaces", {"a": [1, 2, 3]}, {"a": [4]}, {"a": [4]}),
    ("list_not_appended", {"a": [1]}, {"a": [1]}, {"a": [1]}),
    ("empty_list_replaces", {"a": [1, 2]}, {"a": []}, {"a": []}),
    ("list_of_maps_replaces", {"a": [{"x": 1}]}, {"a": [{"y": 2}]}, {"a": [{"y": 2}]}),
    ("list_keeps_none_items", {}, {"a": [None, 1]}, {"a": [None, 1]}),
    ("dict_to_scalar", {"a": {"x": 1}}, {"a": 5}, {"a": 5}),
    ("dict_to_list", {"a": {"x": 1}}, {"a": [1]}, {"a": [1]}),
    ("scalar_to_dict", {"a": 5}, {"a": {"x": 1}}, {"a": {"x": 1}}),
    ("list_to_dict", {"a": [1]}, {"a": {"x": 1}}, {"a": {"x": 1}}),
    ("int_to_bool", {"a": 1}, {"a": True}, {"a": True}),
    ("int_to_float", {"a": 1}, {"a": 1.0}, {"a": 1.0}),
    ("str_to_int", {"a": "1"}, {"a": 1}, {"a": 1}),
    ("false_and_zero_are_values", {"a": 1, "b": 1}, {"a": False, "b": 0}, {"a": False, "b": 0}),
    ("empty_string_is_a_value", {"a": "x"}, {"a": ""}, {"a": ""}),
    ("siblings_untouched", {"a": {"x": 1}, "b": {"y": 2}}, {"a": {"x": 2}},
     {"a": {"x": 2}, "b": {"y": 2}}),
]


@pytest.mark.parametrize("base,patch,expected", table(MERGES))
def test_deep_merge(base, patch, expected):
    with untouched(base, patch):
        merged = deep_merge(base, patch)
    assert typed(merged) == typed(expected)
    assert merged is not base


def test_merging_twice_is_the_same_as_once():
    for _, base, patch, _ in MERGES:
        once = deep_merge(base, patch)
        assert typed(deep_merge(once, patch)) == typed(once)


DIFFS = [
    # (id, old, new, expected patch)
    ("equal_empty", {}, {}, {}),
    ("equal_nested", {"a": {"b": [1, {"c": 2}]}}, {"a": {"b": [1, {"c": 2}]}}, {}),
    ("added", {}, {"a": 1}, {"a": 1}),
    ("removed", {"a": 1, "b": 2}, {"b": 2}, {"a": None}),
    ("changed", {"a": 1}, {"a": 2}, {"a": 2}),
    ("nested_changed", {"a": {"x": 1, "y": 2}}, {"a": {"x": 1, "y": 3}}, {"a": {"y": 3}}),
    ("nested_removed", {"a": {"x": 1, "y": 2}}, {"a": {"x": 1}}, {"a": {"y": None}}),
    ("map_emptied", {"a": {"x": 1}}, {"a": {}}, {"a": {"x": None}}),
    ("map_to_scalar", {"a": {"x": 1}}, {"a": 1}, {"a": 1}),
    ("scalar_to_map", {"a": 1}, {"a": {"x": 1}}, {"a": {"x": 1}}),
    ("scalar_to_empty_map", {"a": 1}, {"a": {}}, {"a": {}}),
    ("new_empty_map", {}, {"a": {}}, {"a": {}}),
    ("list_changed", {"a": [1, 2]}, {"a": [1, 2, 3]}, {"a": [1, 2, 3]}),
    ("int_to_bool", {"a": 1}, {"a": True}, {"a": True}),
    ("int_to_float", {"a": 0}, {"a": 0.0}, {"a": 0.0}),
    ("bool_to_int_in_list", {"a": [True]}, {"a": [1]}, {"a": [1]}),
    ("int_to_float_deep_in_list", {"a": [{"x": [1]}]}, {"a": [{"x": [1.0]}]},
     {"a": [{"x": [1.0]}]}),
]


@pytest.mark.parametrize("old,new,expected", table(DIFFS))
def test_diff(old, new, expected):
    with untouched(old, new):
        patch = diff(old, new)
    assert typed(patch) == typed(expected)
    assert typed(deep_merge(old, patch)) == typed(new)


# --- properties over random JSON-like documents (no None inside documents) ----------------

_KEYS = st.sampled_from(["a", "b", "c", "d", "ß", ""])  # few keys: documents overlap often
_SCALARS = (st.booleans() | st.integers(-3, 3) | st.sampled_from([0.0, 1.0, -2.5, 1e300])
            | st.text(max_size=4))
DOCS = st.dictionaries(_KEYS, st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=20), max_size=5)
PATCHES = st.dictionaries(_KEYS, st.recursive(
    _SCALARS | st.none(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3),
    max_leaves=12), max_size=4)
PROPERTY = settings(max_examples=250, deadline=None, database=None)


@PROPERTY
@given(old=DOCS, new=DOCS)
def test_diff_then_merge_gives_new(old, new):
    assert typed(deep_merge(old, diff(old, new))) == typed(new)


@PROPERTY
@given(doc=DOCS)
def test_diff_of_equal_documents_is_empty(doc):
    assert diff(doc, doc) == {}
    assert diff(doc, copy.deepcopy(doc)) == {}


@PROPERTY
@given(base=DOCS, patch=PATCHES)
def test_merge_and_diff_properties(base, patch):
    with untouched(base, patch):  # neither function mutates what it is given
        merged = deep_merge(base, patch)
        smallest = diff(base, merged)
    assert typed(deep_merge(merged, patch)) == typed(merged)  # merging is idempotent
    assert not _has_none_in_maps(merged)
    assert typed(deep_merge(base, smallest)) == typed(merged)  # diff: an equivalent patch
    assert diff(merged, deep_merge(merged, smallest)) == {}


def _has_none_in_maps(value) -> bool:
    """``None`` survives as no map value reached through maps (lists replace whole, as sent)."""
    return isinstance(value, dict) and any(
        item is None or _has_none_in_maps(item) for item in value.values())
