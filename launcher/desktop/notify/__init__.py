"""Native desktop notifications: freedesktop D-Bus on Linux, desktop-notifier on Windows and macOS.

Both backends have the same face (`show(note, image_path)`, `inhibited()`, `close()`) and refuse to
start with NotifierUnavailable when the system would show nothing, so the caller knows; `create`
picks the one for this OS.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from launcher.desktop.notify.base import Notifier, NotifierUnavailable

if TYPE_CHECKING:
    from launcher.desktop.notifications import Notification

__all__ = ["Notifier", "NotifierUnavailable", "create"]


def create(
    app_name: str,
    on_click: Callable[[Notification], None],
    app_icon: Path | None = None,
    platform: str | None = None,
) -> Notifier | None:
    """This OS's notifier (None on a system with neither backend). Raises NotifierUnavailable, or the
    backend's own error, when notifications cannot be shown here."""
    platform = platform or sys.platform
    if platform.startswith("linux"):
        from launcher.desktop.notify.linux import DBusNotifier

        return DBusNotifier(app_name, on_click=on_click)
    if platform in ("win32", "darwin"):
        from launcher.desktop.notify.windows_macos import NativeNotifier

        return NativeNotifier(app_name, on_click=on_click, app_icon=app_icon)
    return None
