"""Deep merge of state documents: the one implementation every part uses.

Rules: maps merge recursively; ``None`` deletes a key at any depth; lists, scalars and
type changes replace. Inputs are never mutated (unchanged subtrees may be shared).
"""

from __future__ import annotations

from typing import Any

__all__ = ["deep_merge", "diff"]


def deep_merge(base: dict, patch: dict) -> dict:
    """Return ``base`` with ``patch`` merged into it."""
    result = dict(base)
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            current = result.get(key)
            result[key] = deep_merge(current if isinstance(current, dict) else {}, value)
        else:
            result[key] = value
    return result


def diff(old: dict, new: dict) -> dict:
    """The smallest patch that turns ``old`` into ``new`` under ``deep_merge``.

    Removed keys become ``None``; nested maps diff recursively; anything else that
    differs (including a type change, also inside lists: ``[1]`` vs ``[True]``) is
    replaced whole. Equal documents give ``{}``.
    """
    patch: dict[str, Any] = {}
    for key in old.keys() - new.keys():
        patch[key] = None
    for key, value in new.items():
        if key not in old:
            patch[key] = value
            continue
        current = old[key]
        if value is current:  # a subtree deep_merge left shared: nothing to walk
            continue
        if isinstance(value, dict) and isinstance(current, dict):
            sub = diff(current, value)
            if sub:
                patch[key] = sub
        elif not _same(value, current):
            patch[key] = value
    return patch


def _same(a: Any, b: Any) -> bool:
    """Equal *and* of the same types all the way down (``1``, ``1.0`` and ``True`` differ)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(value, b[key]) for key, value in a.items())
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(map(_same, a, b))
    return a == b
