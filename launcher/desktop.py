"""Living with the window all day: unread count in the title and on the tray icon, native
notifications, the tray menu, close-to-tray, bring-forward for a second start, the window's saved
place, and the keyboard shortcuts. See docs/desktop.md for what each OS gets.

Nothing here runs before the window is on screen except `before_show` (geometry, start hidden), and
the Qt-only modules (tray, badge, shortcuts) and jeepney are imported only when used. Rocket.Chat's
events reach Python one way only: a poll thread runs `injection.desktop_drain` in the page (the page
gets no bridge), and every value is checked here (launcher.unread, launcher.notifications).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from launcher import injection, navigation, notifications, unread, window_state
from launcher.unread import NONE, Unread

_log = logging.getLogger(__name__)

POLL_INTERVAL_S = 1.0
_AVATAR_MAX_BYTES = 256_000


class Desktop:
    """Owned by the Shell; `shell` is the Shell (state, window, evaluate, reload, sign_out, request_exit)."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        settings = shell.settings
        self._tray_wanted = bool(getattr(settings, "desktop_tray", True))
        self._close_to_tray = bool(getattr(settings, "desktop_close_to_tray", True))
        self._notify = bool(getattr(settings, "desktop_notifications", True))
        self.tray: Any = None
        self.notifier: Any = None
        self.unread: Unread = NONE
        self.user_status: str | None = None
        self.notifications_shown = 0
        self.activations = 0
        self.events_seen = False  # Rocket.Chat's unread-changed came (else the page title is used)
        self._title = ""
        self._shortcuts: Any = None
        self._avatar_dir: Path | None = None
        self._avatars: dict[str, str | None] = {}
        self._started = threading.Event()

    # ------------------------------------------------------------------ main thread, before the window shows

    def before_show(self, window: Any) -> None:
        """pywebview's before_show (Qt main thread): put the window back where it was, and start hidden in
        the tray when asked to and a tray exists."""
        qt = self.shell._qt
        if qt is None:
            return
        native = window.native
        saved = window_state.load(self.shell.paths.data_dir)
        if saved is not None:
            fitted = window_state.fit_on_screen(saved, _qt_screens())
            native.setGeometry(fitted.x, fitted.y, fitted.width, fitted.height)
            if fitted.maximized and not self.shell.start_minimized:
                window.maximized = True
        if self.shell.start_minimized and self._tray_wanted:
            from launcher.tray import tray_available

            if tray_available():
                window.minimized = False
                window.hidden = True

    def on_closing(self) -> bool:
        """pywebview's closing (main thread). False keeps the window (it went to the tray)."""
        self._save_geometry()
        if self.shell.exit_code is not None or self.tray is None or not self._close_to_tray:
            return True
        native = self.shell.window.native
        if native is not None:
            native.hide()
        _log.info("window hidden to the tray")
        return False

    # ------------------------------------------------------------------ after the window is shown

    def start(self) -> None:
        """Worker thread, once the window is up: tray, shortcuts, notifier, then poll the page."""
        qt = self.shell._qt
        if qt is not None:
            qt.on_main_thread(self._create_qt_parts)
        if self._notify:
            self._create_notifier()
        self._started.set()
        self._title = self.shell.organization
        closed = self.shell._closed
        while not closed.wait(POLL_INTERVAL_S):
            try:
                self._poll()
            except Exception:
                _log.exception("reading Rocket.Chat's events failed")

    def _create_qt_parts(self) -> None:
        native = self.shell.window.native
        if native is None:
            return
        from launcher.shortcuts import Shortcuts

        self._shortcuts = Shortcuts(native, self.shell.reload)
        if not self._tray_wanted:
            return
        from launcher.tray import Tray, tray_available

        if not tray_available():
            _log.info("no system tray on this desktop: closing the window quits")
            return
        self.tray = Tray(
            navigation.ASSETS_DIR / "icon.png",
            self.shell.organization,
            on_open=self.bring_forward,
            on_sign_out=self._tray_sign_out,
            on_quit=self.quit,
        )

    def _create_notifier(self) -> None:
        import sys

        if not sys.platform.startswith("linux"):
            return
        try:
            from launcher.notify_dbus import DBusNotifier

            self.notifier = DBusNotifier(self.shell.organization, on_click=self._clicked)
        except Exception as exc:
            _log.info("desktop notifications are off: %s", exc)

    # ------------------------------------------------------------------ reading Rocket.Chat's events

    def _poll(self) -> None:
        shell = self.shell
        if shell.state not in ("signed-in", "signing-in"):
            self._set_unread(NONE)
            return
        found = shell.evaluate(injection.desktop_drain(shell.rc_origin), timeout=2.0)
        if not isinstance(found, dict) or found.get("origin") != shell.rc_origin:
            return
        if found.get("unreadSeen") is True:
            parsed = unread.from_event(found.get("unread"))
            if parsed is not None:
                self.events_seen = True
                self._set_unread(parsed)
        elif not self.events_seen:
            self._set_unread(unread.from_title(found.get("title")))
        status = found.get("status")
        if isinstance(status, str) and len(status) < 20:
            self.user_status = status
        raw = found.get("notifications")
        if shell.state == "signed-in" and isinstance(raw, list):
            for detail in raw[:20]:
                note = notifications.parse(detail)
                if note is not None:
                    self._maybe_notify(note)

    def _set_unread(self, value: Unread) -> None:
        if value == self.unread and self._title:
            return
        self.unread = value
        title = unread.window_title(self.shell.organization, value)
        if title != self._title:
            self._title = title
            try:
                self.shell.window.set_title(title)
            except Exception:
                _log.exception("could not set the window title")
        qt = self.shell._qt
        if self.tray is not None and qt is not None:
            qt.on_main_thread(lambda: self.tray.set_unread(value))

    def _maybe_notify(self, note: notifications.Notification) -> None:
        inhibited = self.notifier.inhibited() if self.notifier is not None else False
        if not notifications.should_show(
            note,
            enabled=self._notify,
            user_status=self.user_status,
            window_active=self.window_active(),
            desktop_inhibited=inhibited,
        ):
            _log.info("a notification was not shown (do not disturb, switched off, or the room is open)")
            return
        if self.notifier is not None:
            if self.notifier.show(note, self._avatar(note)) is not None:
                self.notifications_shown += 1
        elif self.tray is not None and self.shell._qt is not None:
            self.shell._qt.on_main_thread(lambda: self.tray.show_message(note.title, note.body))
            self.notifications_shown += 1

    def _avatar(self, note: notifications.Notification) -> str | None:
        """The sender's avatar from Rocket.Chat (`/avatar/<username>`) as a local file, or None."""
        username = note.sender_username
        if not username:
            return None
        if username in self._avatars:
            return self._avatars[username]
        path: str | None = None
        try:
            from launcher.http import make_client

            with make_client(self.shell.settings) as client:
                answer = client.get(f"{self.shell.rc_url}/avatar/{username}", timeout=2.0)
            kind = answer.headers.get("content-type", "")
            if (
                answer.status_code == 200
                and kind.startswith("image/")
                and len(answer.content) <= _AVATAR_MAX_BYTES
            ):
                path = self._store_avatar(username, answer.content, kind)
        except Exception as exc:
            _log.info("no avatar for a notification: %s", type(exc).__name__)
        self._avatars[username] = path
        return path

    def _store_avatar(self, username: str, content: bytes, kind: str) -> str:
        import tempfile

        if self._avatar_dir is None:
            self._avatar_dir = Path(tempfile.mkdtemp(prefix="rcl-avatars-"))
        suffix = ".svg" if "svg" in kind else ".img"
        target = self._avatar_dir / f"{len(self._avatars)}{suffix}"
        target.write_bytes(content)
        return str(target)

    # ------------------------------------------------------------------ actions

    def _clicked(self, note: notifications.Notification) -> None:
        """A notification was clicked: the window comes forward, on the notification's room."""
        self.bring_forward()
        path = note.room_path
        shell = self.shell
        if not path or shell.state != "signed-in":
            return
        if shell.login_path == "iframe-command":
            shell.evaluate(injection.open_room(shell.rc_origin, path))
        else:
            shell.load_rocketchat(path)

    def bring_forward(self) -> None:
        """Show, un-minimize, raise and focus the window (a second start, the tray, a notification)."""
        self.activations += 1
        qt = self.shell._qt
        window = self.shell.window
        if qt is not None:

            def show() -> None:
                native = window.native
                native.show()
                if native.isMinimized():
                    native.showNormal()
                native.raise_()
                native.activateWindow()

            qt.on_main_thread(show)
            return
        try:
            window.show()
            window.restore()
        except Exception:
            _log.exception("could not bring the window forward")

    def window_active(self) -> bool:
        qt = self.shell._qt
        if qt is None:
            return False
        native = self.shell.window.native
        return bool(qt.on_main_thread(lambda: native.isVisible() and native.isActiveWindow(), timeout=2.0))

    def quit(self) -> None:
        self.shell.request_exit(0, "")

    def _tray_sign_out(self) -> None:
        self.bring_forward()
        threading.Thread(target=self.shell.sign_out, name="tray-sign-out", daemon=True).start()

    def close(self) -> None:
        if self.notifier is not None:
            self.notifier.close()
        if self._avatar_dir is not None:
            import shutil

            shutil.rmtree(self._avatar_dir, ignore_errors=True)

    # ------------------------------------------------------------------ window place

    def _save_geometry(self) -> None:
        native = getattr(self.shell.window, "native", None)
        if self.shell._qt is None or native is None or not native.isVisible():
            return
        geometry = native.normalGeometry() if native.isMaximized() else native.geometry()
        window_state.save(
            self.shell.paths.data_dir,
            window_state.WindowState(
                x=geometry.x(),
                y=geometry.y(),
                width=geometry.width(),
                height=geometry.height(),
                maximized=bool(native.isMaximized()),
            ),
        )

    # ------------------------------------------------------------------ for the e2e driver

    def facts(self) -> dict[str, Any]:
        qt = self.shell._qt
        native = getattr(self.shell.window, "native", None)
        facts: dict[str, Any] = {
            "unread_label": self.unread.label,
            "unread_count": self.unread.count,
            "unread_from_events": self.events_seen,
            "user_status": self.user_status,
            "tray": self.tray is not None,
            "notifier": self.notifier is not None,
            "notifications_shown": self.notifications_shown,
            "activations": self.activations,
        }
        if qt is not None and native is not None:

            def read() -> dict[str, Any]:
                g = native.geometry()
                return {
                    "title": native.windowTitle(),
                    "visible": native.isVisible(),
                    "minimized": native.isMinimized(),
                    "maximized": native.isMaximized(),
                    "geometry": [g.x(), g.y(), g.width(), g.height()],
                    "zoom": native.webview.zoomFactor(),
                    "tray_menu": self.tray.menu_titles() if self.tray is not None else [],
                }

            facts.update(qt.on_main_thread(read) or {})
        return facts


def _qt_screens() -> list[window_state.Rect]:
    from qtpy.QtGui import QGuiApplication

    rects = []
    for screen in QGuiApplication.screens():
        g = screen.availableGeometry()
        rects.append(window_state.Rect(g.x(), g.y(), g.width(), g.height()))
    return rects
