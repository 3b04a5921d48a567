"""A state document as a tree of nodes for the template, optionally diffed against another."""

from __future__ import annotations

import json
from dataclasses import dataclass

__all__ = ["Node", "state_tree", "MAX_NODES"]

#: Nodes drawn at most; a bigger state is cut off with a note.
MAX_NODES = 2000
_LEAF_CHARS = 300
_MISSING = object()


@dataclass
class Node:
    """One key: a branch (``children``) or a leaf (``text``).

    ``mark`` is ``""``, ``added``, ``changed`` (``old`` holds the previous text) or
    ``removed``; ``changed_below`` says the node or something under it differs.
    """

    key: str
    text: str = ""
    children: list[Node] | None = None
    mark: str = ""
    old: str = ""
    changed_below: bool = False
    size: int = 0


def _text(value) -> str:
    text = json.dumps(value, ensure_ascii=False, default=repr)
    return text if len(text) <= _LEAF_CHARS else text[:_LEAF_CHARS] + "…"


def _equal(a, b) -> bool:
    return type(a) is type(b) and a == b


class _Builder:
    """Builds nodes until ``limit`` is spent, then notes that it cut the tree off."""

    def __init__(self, limit: int):
        self.left = limit
        self.truncated = False

    def _take(self) -> bool:
        self.left -= 1
        self.truncated = self.truncated or self.left < 0
        return self.left >= 0

    def plain(self, key: str, value, mark: str = "") -> Node | None:
        """A subtree that is all the same to the diff: unchanged, added or removed."""
        if not self._take():
            return None
        if isinstance(value, dict) and value:
            children = [n for k in sorted(value, key=str) if (n := self.plain(str(k), value[k], mark))]
            return Node(key, children=children, mark=mark, changed_below=bool(mark), size=len(value))
        return Node(key, _text(value), mark=mark, changed_below=bool(mark))

    def diff(self, key: str, new, old) -> Node | None:
        if old is _MISSING:
            return self.plain(key, new, "added")
        if new is _MISSING:
            return self.plain(key, old, "removed")
        if isinstance(new, dict) and isinstance(old, dict) and new:
            if not self._take():
                return None
            children = self.merge(new, old)
            return Node(key, children=children, size=len(new),
                        changed_below=any(c.changed_below for c in children))
        if _equal(new, old):
            return self.plain(key, new)
        if not self._take():
            return None
        return Node(key, _text(new), mark="changed", old=_text(old), changed_below=True)

    def merge(self, new: dict, old: dict) -> list[Node]:
        keys = sorted(set(new) | set(old), key=str)
        return [n for k in keys if (n := self.diff(str(k), new.get(k, _MISSING), old.get(k, _MISSING)))]


def state_tree(state: dict, previous: dict | None = None,
               limit: int = MAX_NODES) -> tuple[list[Node], bool]:
    """``(nodes, truncated)`` for ``state``; with ``previous``, keys are marked ``added``,
    ``changed`` (with the old text) or ``removed`` (kept, showing the old value)."""
    builder = _Builder(limit)
    state = state or {}
    if previous is None:
        nodes = [n for k in sorted(state, key=str) if (n := builder.plain(str(k), state[k]))]
    else:
        nodes = builder.merge(state, previous)
    return nodes, builder.truncated
