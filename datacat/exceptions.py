"""How an exception travels: type, message, formatted stack and the frames that were the app's.

The tier groups exceptions into issues by a fingerprint made from the type and the app's own
frames (``datacat.broker.fingerprint``); each frame here says whether it is the app's code
(not the standard library, an installed package or DataCat itself).
"""

from __future__ import annotations

import os
import sysconfig
import traceback

__all__ = ["describe_exception", "is_app_file", "MAX_FRAMES"]

MAX_FRAMES = 50  # innermost frames kept in ``frames``

_NOT_APP = tuple(os.path.normcase(os.path.realpath(path)) + os.sep for path in {
    sysconfig.get_paths()[name] for name in ("stdlib", "platstdlib", "purelib", "platlib")
} | {os.path.dirname(os.path.abspath(__file__))})
_PACKAGE_DIRS = (os.sep + "site-packages" + os.sep, os.sep + "dist-packages" + os.sep)


def is_app_file(filename: str) -> bool:
    """True for code of the app itself: not Python's, not an installed package's, not DataCat's."""
    if not filename or filename.startswith("<"):
        return False
    path = os.path.normcase(os.path.realpath(filename))
    return not path.startswith(_NOT_APP) and not any(d in path for d in _PACKAGE_DIRS)


def describe_exception(exc: BaseException, fingerprint: str | list | None = None) -> dict:
    """Type, message, formatted stack, innermost frame and the frames of ``exc``.

    ``frames`` lists ``[file, function, line, in_app]``, outermost first. ``fingerprint``
    (a string or a list of strings) overrides how the tier groups it into an issue.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    where = frames[-1] if frames else None
    described = {
        "type": f"{type(exc).__module__}.{type(exc).__qualname__}".removeprefix("builtins."),
        "message": str(exc),
        "stacktrace": traceback.format_exception(type(exc), exc, exc.__traceback__),
        "file": where.filename if where else None,
        "line": where.lineno if where else None,
        "function": where.name if where else None,
        "frames": [[f.filename, f.name, f.lineno, is_app_file(f.filename)]
                   for f in frames[-MAX_FRAMES:]],
    }
    if fingerprint is not None:
        described["fingerprint"] = fingerprint if isinstance(fingerprint, str) \
            else [str(part) for part in fingerprint]
    return described
