"""The window's place where Qt is not the window (WebView2 on Windows, WKWebView on macOS): pywebview
tells position and size only through its `moved`, `resized`, `maximized`, `minimized` and `restored`
events, so this keeps the last *normal* place from them, for launcher.window.place to save.

pywebview runs each of those handlers in a thread of its own, so their order is not guaranteed (on
Windows a maximize sends `maximized` and then `resized` with the maximized size). A sample is therefore
kept only while the window is neither maximized nor minimized *and* it looks like a normal place: not
covering a whole screen, and on a screen (Windows moves a minimized window to -32000, -32000).
"""

from __future__ import annotations

import threading
from typing import Any

from launcher.window import place as window_state
from launcher.window.place import Rect, WindowState


class WindowTracker:
    """Follows one window; `state()` is what to save, `create_options()` where to open it."""

    def __init__(self, screens: list[Rect], saved: WindowState | None, default_size: tuple[int, int]) -> None:
        self._screens = screens
        self._lock = threading.Lock()
        self._minimized = False
        fitted = window_state.fit_on_screen(saved, screens) if saved is not None else None
        self._opened = fitted
        self._x: int | None = fitted.x if fitted else None
        self._y: int | None = fitted.y if fitted else None
        self._width, self._height = (fitted.width, fitted.height) if fitted else default_size
        self._maximized = bool(fitted and fitted.maximized)

    # ------------------------------------------------------------------ before the window exists

    def create_options(self, start_hidden: bool) -> dict[str, Any]:
        """Keyword arguments for webview.create_window: the saved place (fitted on today's screens)."""
        options: dict[str, Any] = {"width": self._width, "height": self._height}
        if self._opened is not None:
            options["x"], options["y"] = self._opened.x, self._opened.y
            options["maximized"] = self._opened.maximized and not start_hidden
        if start_hidden:
            options["hidden"] = True
            options["minimized"] = False
        return options

    # ------------------------------------------------------------------ pywebview's window events

    def attach(self, events: Any) -> None:
        events.moved += self.on_moved
        events.resized += self.on_resized
        events.maximized += self.on_maximized
        events.minimized += self.on_minimized
        events.restored += self.on_restored

    def on_moved(self, x: float, y: float) -> None:
        with self._lock:
            if self._normal() and self._on_screen(int(x), int(y), self._width, self._height):
                self._x, self._y = int(x), int(y)

    def on_resized(self, width: float, height: float) -> None:
        with self._lock:
            w, h = int(width), int(height)
            if self._normal() and w > 0 and h > 0 and not self._covers_a_screen(w, h):
                self._width, self._height = w, h

    def on_maximized(self) -> None:
        with self._lock:
            self._maximized, self._minimized = True, False

    def on_minimized(self) -> None:
        with self._lock:
            self._minimized = True

    def on_restored(self) -> None:
        # from minimized back to what it was before (which may be maximized): Windows says "restored" for
        # both un-minimize and un-maximize, so the next normal-looking sample decides
        with self._lock:
            if self._minimized:
                self._minimized = False
            else:
                self._maximized = False

    def seed(self, x: int, y: int, width: int, height: int) -> None:
        """The place read from the shown window (when it opened where the system put it)."""
        with self._lock:
            if self._x is None and self._normal() and self._on_screen(x, y, width, height):
                self._x, self._y, self._width, self._height = x, y, width, height

    # ------------------------------------------------------------------ reading

    @property
    def minimized(self) -> bool:
        return self._minimized

    def state(self) -> WindowState | None:
        """The last normal place and whether the window is maximized; None before any place is known."""
        with self._lock:
            if self._x is None or self._y is None:
                return None
            return WindowState(self._x, self._y, self._width, self._height, self._maximized)

    def _normal(self) -> bool:
        return not (self._maximized or self._minimized)

    def _on_screen(self, x: int, y: int, width: int, height: int) -> bool:
        if not self._screens:
            return x > -10_000 and y > -10_000
        probe = WindowState(x, y, width, height)
        return window_state.fit_on_screen(probe, self._screens) == probe

    def _covers_a_screen(self, width: int, height: int) -> bool:
        return any(width >= s.width and height >= s.height for s in self._screens)
