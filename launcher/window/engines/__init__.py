"""The web engines behind the window: Qt WebEngine on Linux, pywebview's platform engine elsewhere.

`choose()` picks one, once, at start; everything else talks to the `Engine` it returns.
"""

from __future__ import annotations

import os
import sys

from launcher.window.engines.base import Engine, PageHooks

__all__ = ["Engine", "EngineUnavailable", "PageHooks", "choose"]


class EngineUnavailable(Exception):
    """The engine this system needs cannot be loaded; str() names what to install."""


def choose() -> Engine:
    """Qt WebEngine on Linux (or when PYWEBVIEW_GUI=qt), else the platform's engine through pywebview.

    Raises EngineUnavailable when Qt WebEngine is wanted and cannot be imported (a missing package or
    system library)."""
    forced = os.environ.get("PYWEBVIEW_GUI", "").strip().lower()
    wanted_qt = forced == "qt" or (not forced and sys.platform.startswith("linux"))
    if not wanted_qt:
        from launcher.window.engines.generic import GenericEngine

        engine = GenericEngine()
        engine.gui = forced or None
        return engine
    try:
        from launcher.window.engines.qt import QtEngine
    except Exception as exc:  # ImportError, or OSError for a missing system library
        from launcher.window.renderer import backend_problem

        raise EngineUnavailable(backend_problem(exc)) from exc
    return QtEngine()
