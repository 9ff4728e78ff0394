"""The tray icon (Qt's QSystemTrayIcon: a StatusNotifierItem over D-Bus on KDE, GNOME with the
AppIndicator extension, XFCE, ...; the notification area on Windows and macOS builds that use Qt).

Its menu has Open, Sign out and Quit; a click on the icon opens the window. The icon carries the unread
badge and the tooltip says the count. Create and change it on the Qt main thread only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from qtpy import QtGui, QtWidgets

from launcher.desktop.badge import linux as badge
from launcher.desktop.unread import NONE, Unread

_log = logging.getLogger(__name__)

#: The icon's object name: a child of Qt's application, so whoever holds QApplication finds it.
TRAY_NAME = "rocketchat-launcher-tray"


def tray_available() -> bool:
    """True when the desktop shows tray icons (a StatusNotifierWatcher or an XEmbed tray is there)."""
    return bool(QtWidgets.QSystemTrayIcon.isSystemTrayAvailable())


class Tray:
    """One tray icon with the launcher's menu and the unread badge."""

    def __init__(
        self,
        icon: Path,
        title: str,
        on_open: Callable[[], None],
        on_sign_out: Callable[[], None],
        on_quit: Callable[[], None],
    ) -> None:
        self._title = title
        self._base = badge.base_image(icon)
        self._unread = NONE
        self._image = badge.draw_badge(self._base, NONE)
        self._icon = QtWidgets.QSystemTrayIcon(
            QtGui.QIcon(QtGui.QPixmap.fromImage(self._image)), QtWidgets.QApplication.instance()
        )
        self._icon.setObjectName(TRAY_NAME)
        menu = QtWidgets.QMenu()
        for text, action in (("Open", on_open), ("Sign out", on_sign_out), (None, None), ("Quit", on_quit)):
            if text is None:
                menu.addSeparator()
                continue
            entry = menu.addAction(text)
            entry.triggered.connect(lambda _checked=False, act=action: act())
        self._menu = menu  # the icon does not own its menu: keep it alive
        self._icon.setContextMenu(menu)
        self._icon.activated.connect(self._activated(on_open))
        self._icon.setToolTip(title)
        self._icon.show()
        _log.info("tray icon shown")

    @staticmethod
    def _activated(on_open: Callable[[], None]) -> Callable[[object], None]:
        def handler(reason: object) -> None:
            if reason in (
                QtWidgets.QSystemTrayIcon.ActivationReason.Trigger,
                QtWidgets.QSystemTrayIcon.ActivationReason.DoubleClick,
            ):
                on_open()

        return handler

    @property
    def unread(self) -> Unread:
        return self._unread

    def set_unread(self, unread: Unread) -> None:
        if unread == self._unread:
            return
        self._unread = unread
        self._image = badge.draw_badge(self._base, unread)
        self._icon.setIcon(QtGui.QIcon(QtGui.QPixmap.fromImage(self._image)))
        tip = f"{self._title}: {unread.count} unread" if unread.count else self._title
        self._icon.setToolTip(tip if not unread.dot or unread.count else f"{self._title}: unread messages")

    def hide(self) -> None:
        self._icon.hide()

    def close(self) -> None:
        """Nothing to do at exit: the icon goes with Qt's application (touching it then could crash)."""

    def show_message(self, title: str, body: str) -> None:
        """A notification balloon from the tray icon (where no notification service is reachable)."""
        self._icon.showMessage(title, body, QtWidgets.QSystemTrayIcon.MessageIcon.Information, 8000)
