"""``state_match``: a ``key.path=value`` test on a session's state document (pure)."""

from __future__ import annotations

import json

__all__ = ["state_match"]


def state_match(expression: str):
    """``"a.b=value"`` → ``(path, test)`` where ``test(state)`` says if the state matches.

    The value is read as JSON when it parses (``3``, ``true``, ``"x"``), else as text; a
    stored value also matches when its text form equals the text given. Without ``=``,
    the test is whether the key exists.
    """
    key, has_value, raw = expression.partition("=")
    path = [part for part in key.strip().split(".") if part]
    raw = raw.strip()
    try:
        wanted = json.loads(raw)
    except ValueError:
        wanted = raw
    missing = object()

    def test(state: dict) -> bool:
        node = state
        for part in path:
            node = node.get(part, missing) if isinstance(node, dict) else missing
            if node is missing:
                return False
        if not has_value:
            return True
        same_kind = isinstance(node, bool) == isinstance(wanted, bool)
        return (node == wanted and same_kind) or (isinstance(node, str) and node == raw)

    return path, test
