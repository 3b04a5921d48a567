"""An exception's fingerprint: which *issue* it belongs to (pure).

The rule, in order:

1. an app's own ``fingerprint`` (a string, or a list of strings) wins;
2. else the exception's type plus its *app frames*, outermost first, each normalised to
   ``file stem:function``: line numbers and directories are left out, so a line moving
   within a function, or the app installed in another folder or on another OS, does not
   split an issue. App frames are the ones the SDK marked as the app's own code (not the
   standard library, an installed package or DataCat); when none is, every frame counts;
3. else, with no frames at all (the original's clients send formatted stack lines, which are
   read for their file and function), the type plus the message with numbers, hex and
   quoted text blanked.

The fingerprint is the first 16 hex digits of the SHA-256 of that key.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

__all__ = ["fingerprint", "fingerprint_key"]

_STACK_LINE = re.compile(r'File "(?P<file>[^"]+)", line \d+, in (?P<function>\S+)')
_VOLATILE = re.compile(r"0x[0-9a-fA-F]+|\d+(?:\.\d+)?|'[^']*'|\"[^\"]*\"")


@lru_cache(maxsize=4096)  # an app's exceptions come from few files
def _stem(path: str) -> str:
    name = path.rpartition("/")[2].rpartition("\\")[2]
    return name[:-3] if name.endswith(".py") else name


def _frames(exception: dict) -> list[str]:
    frames = exception.get("frames")
    if isinstance(frames, list) and frames:
        whole = [f for f in frames if isinstance(f, list) and len(f) >= 2
                 and isinstance(f[0], str) and isinstance(f[1], str)]
        app = [f for f in whole if len(f) >= 4 and f[3] is True]
        return [f"{_stem(f[0])}:{f[1]}" for f in (app or whole)]
    lines = exception.get("stacktrace") or ()
    found = (_STACK_LINE.search(line) for line in lines if isinstance(line, str))
    return [f"{_stem(m['file'])}:{m['function']}" for m in found if m]


def fingerprint_key(exception: dict) -> str:
    """The text a fingerprint is the hash of (see the module docstring)."""
    own = exception.get("fingerprint")
    if isinstance(own, str) and own:
        return "own|" + own
    if isinstance(own, list) and own and all(isinstance(part, str) for part in own):
        return "own|" + "\x1f".join(own)
    kind = exception.get("type") if isinstance(exception.get("type"), str) else "Exception"
    frames = _frames(exception)
    if frames:
        return f"{kind}|" + ";".join(frames)
    message = exception.get("message") if isinstance(exception.get("message"), str) else ""
    return f"{kind}|~" + _VOLATILE.sub("_", message)


def fingerprint(exception: dict) -> str:
    """The issue an exception map (as ``describe_exception`` makes it) belongs to."""
    return hashlib.sha256(fingerprint_key(exception).encode()).hexdigest()[:16]
