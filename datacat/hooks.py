"""Process-wide hooks the SDK installs once: unhandled exceptions, SIGTERM, native crashes.

Every hook chains to what was installed before it, and none of them raises into the app.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path

__all__ = ["ProcessHooks"]

log = logging.getLogger("datacat")


class ProcessHooks:
    """Routes process-level failures to the open sessions returned by ``sessions()``."""

    def __init__(self, sessions: Callable[[], list], shutdown: Callable[..., None]):
        self._sessions = sessions
        self._shutdown = shutdown  # ends every session and delivers the queue
        self._previous_excepthook = None
        self._previous_thread_hook = None
        self.fault_file: Path | None = None
        self._fault_handle = None

    def install(self, fault_dir: Path | None) -> None:
        self._previous_excepthook = sys.excepthook
        sys.excepthook = self._excepthook
        self._previous_thread_hook = threading.excepthook
        threading.excepthook = self._thread_hook
        if threading.current_thread() is threading.main_thread():
            if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
                signal.signal(signal.SIGTERM, self._sigterm)
        if fault_dir is not None and not faulthandler.is_enabled():
            self._enable_faulthandler(fault_dir)

    def _enable_faulthandler(self, fault_dir: Path) -> None:
        """Native crashes (segfault, abort) write every thread's traceback to a file the daemon reads."""
        try:
            fault_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.fault_file = fault_dir / f"{os.getpid()}-{id(self):x}.txt"
            self._fault_handle = open(self.fault_file, "w")  # noqa: SIM115 - lives with the process
            faulthandler.enable(self._fault_handle, all_threads=True)
        except OSError:
            log.debug("datacat: no fault file", exc_info=True)
            self.fault_file = None

    def _excepthook(self, exc_type, exc, tb) -> None:
        try:
            if issubclass(exc_type, KeyboardInterrupt):
                for session in self._sessions():
                    session.end(reason="keyboard_interrupt", timeout=0)
            else:
                for session in self._sessions():
                    session.crash("unhandled_exception", exc)
        except Exception:  # noqa: BLE001
            log.debug("datacat: excepthook failed", exc_info=True)
        self._previous_excepthook(exc_type, exc, tb)

    def _thread_hook(self, args) -> None:
        try:
            if args.exc_value is not None:
                name = args.thread.name if args.thread is not None else "?"
                for session in self._sessions():
                    session.log_exception(args.exc_value,
                                          message=f"unhandled in thread {name}: {args.exc_value!r}")
        except Exception:  # noqa: BLE001
            log.debug("datacat: threading.excepthook failed", exc_info=True)
        self._previous_thread_hook(args)

    def _sigterm(self, signum, frame) -> None:
        """End sessions cleanly, then die of SIGTERM as the app would have without us."""
        for session in self._sessions():
            session.end(reason="sigterm", timeout=0)
        self._shutdown(timeout=2.0)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)

    def remove_fault_file(self) -> None:
        """At a clean exit the traceback file is not needed: disable and delete it."""
        if self._fault_handle is None:
            return
        faulthandler.disable()
        self._fault_handle.close()
        self._fault_handle = None
        if self.fault_file is not None:
            self.fault_file.unlink(missing_ok=True)
