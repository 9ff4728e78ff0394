"""The tray icon with its menu and unread badge: Qt's on Linux, pystray's on Windows and macOS.

Both backends have the same face (`set_unread`, `show_message`, `hide`, `close`); `create` picks the
one for this OS, as keyring picks a backend. Tests read the icon where a desktop would: Qt's through
QApplication (the icon is named `linux.TRAY_NAME`), pystray's through its Icon.
Qt's must be made and used on the UI thread: callers go through `Engine.on_ui_thread`, which is a
plain call where the toolkit does not care (pystray hands work to its own thread).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

__all__ = ["Tray", "available", "create"]

_log = logging.getLogger(__name__)


class Tray(Protocol):
    def set_unread(self, unread: Any) -> None: ...
    def show_message(self, title: str, body: str) -> None: ...
    def hide(self) -> None: ...
    def close(self) -> None: ...


def available(platform: str | None = None) -> bool:
    """Whether this desktop shows tray icons (on Linux: call on the UI thread, once Qt runs)."""
    platform = platform or sys.platform
    if platform.startswith("linux"):
        from launcher.desktop.tray.linux import tray_available

        return tray_available()
    try:
        from launcher.desktop.tray.windows_macos import tray_available as pystray_available
    except ImportError:  # a build without pystray
        return False
    return pystray_available()


def create(
    icon: Path,
    title: str,
    *,
    on_open: Callable[[], None],
    on_sign_out: Callable[[], None],
    on_quit: Callable[[], None],
    platform: str | None = None,
) -> Tray | None:
    """This OS's tray icon, shown; None when the desktop has no tray (closing the window then quits).

    On Linux call it on the UI thread."""
    platform = platform or sys.platform
    if not available(platform):
        _log.info("no system tray on this desktop: closing the window quits")
        return None
    if platform.startswith("linux"):
        from launcher.desktop.tray.linux import Tray as QtTray

        return QtTray(icon, title, on_open=on_open, on_sign_out=on_sign_out, on_quit=on_quit)
    from launcher.desktop.tray.windows_macos import PystrayTray

    try:
        tray = PystrayTray(icon, title, on_open=on_open, on_sign_out=on_sign_out, on_quit=on_quit)
        tray.start()
    except Exception as exc:
        _log.info("no tray icon: %s; closing the window quits", exc)
        return None
    return tray
