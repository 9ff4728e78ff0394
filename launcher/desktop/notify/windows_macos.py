"""Desktop notifications on Windows (WinRT toasts) and macOS (UNUserNotificationCenter) through
desktop-notifier. Same surface as launcher.notify_dbus (Linux): `show`, `inhibited`, `close`, and
`on_click(notification)` when one is clicked.

Threads, from desktop-notifier's sources: its API is asyncio. The WinRT backend hands toast clicks to
the event loop that was running when the toast was sent, so the notifier keeps one asyncio loop of its
own running in a thread and sends every notification on it. On macOS the clicks come through the
UNUserNotificationCenter delegate on AppKit's run loop (pywebview's main thread). Either way `on_click`
runs in a fresh worker thread: it brings the window forward and opens a room, which waits on the window.

macOS shows notifications only for a signed app bundle: desktop-notifier then falls back to a backend
that shows nothing, and this notifier refuses to start (NotifierUnavailable), so the caller knows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from launcher.desktop.notifications import Notification
from launcher.desktop.notify.base import NotifierUnavailable

_log = logging.getLogger(__name__)

_SEND_TIMEOUT_S = 5.0


class NativeNotifier:
    """Sends notifications; calls `on_click(notification)` (in a worker thread) when one is clicked."""

    def __init__(
        self, app_name: str, on_click: Callable[[Notification], None], app_icon: Path | None = None
    ) -> None:
        from desktop_notifier import DesktopNotifier, Icon
        from desktop_notifier.backends.dummy import DummyNotificationCenter
        from desktop_notifier.main import get_backend_class

        if issubclass(get_backend_class(), DummyNotificationCenter):
            raise NotifierUnavailable(
                "this system shows no notifications for the launcher "
                "(on macOS the launcher must run from its signed app bundle)"
            )
        self._on_click = on_click
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="notifications", daemon=True)
        self._thread.start()
        icon = Icon(path=app_icon) if app_icon is not None and app_icon.exists() else None
        self._notifier = DesktopNotifier(app_name, app_icon=icon)

    def inhibited(self) -> bool:
        """Windows' Focus Assist and macOS's Focus hold notifications back themselves and publish nothing
        the launcher could read, so the launcher's own do-not-disturb is Rocket.Chat's Busy status."""
        return False

    def show(self, note: Notification, image_path: str | None = None) -> str | None:
        """Send `note` (plain text; toasts and UNNotificationContent do not read markup). Its id, or None."""
        from desktop_notifier import Icon
        from desktop_notifier import Notification as Toast

        icon = Icon(path=Path(image_path)) if image_path and not image_path.endswith(".svg") else None
        toast = Toast(title=note.title, message=note.body, icon=icon, on_clicked=lambda: self._clicked(note))
        try:
            future = asyncio.run_coroutine_threadsafe(self._notifier.send_notification(toast), self._loop)
            return str(future.result(timeout=_SEND_TIMEOUT_S))
        except Exception as exc:
            _log.warning("the system did not take a notification: %s", type(exc).__name__)
            return None

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=2.0)
        if not self._thread.is_alive():
            self._loop.close()

    def _clicked(self, note: Notification) -> None:
        threading.Thread(target=self._run_click, args=(note,), name="notification-click", daemon=True).start()

    def _run_click(self, note: Notification) -> None:
        try:
            self._on_click(note)
        except Exception:
            _log.exception("handling a notification click failed")
