"""A handler that raises must never end the launcher.

PyQt6 aborts the whole process (exit 134) when a Python exception escapes a Qt slot and no
`sys.excepthook` is set; pywebview's callbacks and the launcher's own Qt handlers (downloads, menus,
permissions) all run as slots. `install` logs such an exception with its traceback and lets the
window go on; threads get the same treatment, so a failing worker leaves a trace in the log.
"""

from __future__ import annotations

import logging
import sys
import threading
from types import TracebackType

__all__ = ["install", "survived"]

_log = logging.getLogger("launcher.crash")
_survived: list[str] = []


def install() -> None:
    """Log uncaught exceptions of slots and threads instead of aborting (idempotent)."""
    if getattr(sys.excepthook, "_launcher_guard", False):
        return

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt | SystemExit):
            sys.__excepthook__(kind, value, tb)
            return
        _survived.append(kind.__name__)
        _log.error("a window handler failed; the launcher goes on", exc_info=(kind, value, tb))

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        _survived.append(args.exc_type.__name__)
        name = args.thread.name if args.thread is not None else "?"
        _log.error("thread %s failed", name, exc_info=(args.exc_type, args.exc_value, args.exc_traceback))

    hook._launcher_guard = True  # type: ignore[attr-defined]
    sys.excepthook = hook
    threading.excepthook = thread_hook


def survived() -> list[str]:
    """The exception types logged and survived so far (for tests and --debug)."""
    return list(_survived)
