"""The tray icon where Qt is not the window: the notification area on Windows, the menu bar on macOS,
through pystray. Same surface as launcher.tray (Qt): Open (also a click on the icon), Sign out, Quit,
the unread badge and a tooltip with the count.

Threads, from pystray's sources: on Windows `run_detached()` starts pystray's own message loop in a
thread of its own, and Shell_NotifyIcon may be called from any thread. On macOS pywebview's Cocoa backend
owns the main thread and NSApplication's run loop; pystray's `run_detached()` only marks the icon ready,
so the status item must be created and changed on the main thread: every AppKit touch goes through
`run_on_ui` (PyObjCTools.AppHelper.callAfter there). Menu actions come on pystray's loop thread (or
AppKit's main thread) and are handed to a short worker thread, so a slow action (sign out, closing the
window) never blocks the tray or the window.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from launcher.desktop.badge import windows_macos as badge_pillow
from launcher.desktop.unread import NONE, Unread

_log = logging.getLogger(__name__)

UiRunner = Callable[[Callable[[], None]], None]


def tray_available() -> bool:
    """True where pystray can show an icon without Qt (Windows' notification area, macOS's menu bar)."""
    if sys.platform not in ("win32", "darwin"):
        return False
    try:
        import pystray  # noqa: F401
    except Exception as exc:  # ImportError, or a missing system framework
        _log.info("no tray icon: pystray cannot be used (%s)", exc)
        return False
    return True


class PystrayTray:
    """One tray icon with the launcher's menu and the unread badge. Call `start()` once."""

    def __init__(
        self,
        icon: Path,
        title: str,
        on_open: Callable[[], None],
        on_sign_out: Callable[[], None],
        on_quit: Callable[[], None],
        *,
        icon_factory: Callable[..., Any] | None = None,
        run_on_ui: UiRunner | None = None,
    ) -> None:
        import pystray

        self._title = title
        self._base = badge_pillow.base_image(icon)
        self._unread = NONE
        self._image = badge_pillow.draw_badge(self._base, NONE)
        self._factory = icon_factory or pystray.Icon
        self._run_on_ui = run_on_ui or _default_ui_runner()
        self._separator = pystray.Menu.SEPARATOR
        self._menu = pystray.Menu(
            pystray.MenuItem("Open", self._later(on_open), default=True),
            pystray.MenuItem("Sign out", self._later(on_sign_out)),
            self._separator,
            pystray.MenuItem("Quit", self._later(on_quit)),
        )
        self._icon: Any = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Create the icon and show it (on the UI thread where the OS wants that)."""
        self._run_on_ui(self._create)

    def _create(self) -> None:
        icon = self._factory("rocketchat-launcher", self._image, self._title, self._menu)
        with self._lock:
            self._icon = icon
        icon.run_detached(self._show_when_ready)
        _log.info("tray icon shown")

    def _show_when_ready(self, icon: Any) -> None:
        # pystray's setup thread: the loop is ready; showing touches the OS, so back to the UI thread
        self._run_on_ui(lambda: setattr(icon, "visible", True))

    @property
    def unread(self) -> Unread:
        return self._unread

    def set_unread(self, unread: Unread) -> None:
        """Redraw the badge and the tooltip; any thread."""
        if unread == self._unread:
            return
        self._unread = unread
        self._image = badge_pillow.draw_badge(self._base, unread)
        image, tip = self._image, _tooltip(self._title, unread)

        def apply() -> None:
            icon = self._icon
            if icon is not None:
                icon.icon = image
                icon.title = tip

        self._run_on_ui(apply)

    def hide(self) -> None:
        """Remove the icon and stop pystray's loop (quitting)."""

        def stop() -> None:
            icon = self._icon
            if icon is not None:
                icon.visible = False
                icon.stop()

        self._run_on_ui(stop)

    def close(self) -> None:
        """At exit: remove the icon and end pystray's loop."""
        self.hide()

    def show_message(self, title: str, body: str) -> None:
        """A balloon from the icon (where no notification service is there); clicks do not open a room."""

        def notify() -> None:
            icon = self._icon
            if icon is not None and getattr(icon, "HAS_NOTIFICATION", False):
                icon.notify(body, title)

        self._run_on_ui(notify)

    @staticmethod
    def _later(action: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            threading.Thread(target=_guarded, args=(action,), name="tray-action", daemon=True).start()

        return run


def _guarded(action: Callable[[], None]) -> None:
    try:
        action()
    except Exception:
        _log.exception("a tray menu action failed")


def _tooltip(title: str, unread: Unread) -> str:
    if unread.count:
        return f"{title}: {unread.count} unread"
    return f"{title}: unread messages" if unread.dot else title


def _default_ui_runner() -> UiRunner:
    """macOS: AppKit's main thread (the run loop pywebview started); elsewhere: call directly."""
    if sys.platform == "darwin":
        from PyObjCTools import AppHelper

        return AppHelper.callAfter
    return lambda job: job()
