"""Store contract: a session's children, kept at write time."""

from __future__ import annotations

from datacat.broker.apply import apply

from .support import T0, opened


def test_children_are_listed_oldest_first_and_only_once(store):
    apply(store, {"sessions": {"parent": {"open": opened()}}})
    for n in range(3):
        child = {"open": opened(ts=T0 + n, parent_session_id="parent")}
        apply(store, {"sessions": {f"child-{n}": child}})
        apply(store, {"sessions": {f"child-{n}": {"beat": T0 + n}}})  # later writes add nothing
    apply(store, {"sessions": {"other": {"open": opened()}}})
    assert store.children("parent") == ["child-0", "child-1", "child-2"]
    assert store.children("parent", limit=2) == ["child-0", "child-1"]
    assert store.children("child-0") == [] and store.children("unknown") == []


def test_a_child_of_a_parent_never_stored_is_still_found(store):
    apply(store, {"sessions": {"orphan": {"open": opened(parent_session_id="elsewhere")}}})
    assert store.children("elsewhere") == ["orphan"]
