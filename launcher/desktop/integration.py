"""Living with the window all day: unread count in the title and on the tray icon, native
notifications, the tray menu, close-to-tray, bring-forward for a second start, the window's saved
place, and the keyboard shortcuts. See docs/desktop.md for what each OS gets.

Nothing here runs before the window is on screen except `window_options`/`before_show` (geometry, start
hidden), and the per-OS parts are imported only when used: Linux (Qt WebEngine) gets the Qt tray, badge
and shortcuts and jeepney's D-Bus notifications; Windows and macOS (WebView2, WKWebView: no Qt) get
pystray's tray, desktop-notifier's notifications and a window place followed through pywebview's events
(launcher.window_tracker); shortcuts there are the web view's own. Rocket.Chat's
events reach Python one way only: a poll thread runs `injection.desktop_drain` in the page (the page
gets no bridge), and every value is checked here (launcher.unread, launcher.notifications).
"""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path
from typing import Any

from launcher.desktop import notifications, unread
from launcher.desktop import place as window_state
from launcher.desktop.place_tracker import WindowTracker
from launcher.desktop.unread import NONE, Unread
from launcher.web import ICON_PNG
from launcher.window import injection

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
        self._tracker: WindowTracker | None = None  # window place without Qt

    # ------------------------------------------------------------------ before the window exists

    def window_options(self, default_size: tuple[int, int]) -> dict[str, Any]:
        """Keyword arguments for webview.create_window where Qt is not the window (Qt sets the place in
        `before_show`): the saved place fitted on today's screens, and hidden for --start-minimized when a
        tray will be there to open it again."""
        if self.shell._qt is not None:
            return {}
        saved = window_state.load(self.shell.paths.data_dir)
        self._tracker = WindowTracker(_webview_screens(), saved, default_size)
        start_hidden = self.shell.start_minimized and self._tray_wanted and _native_tray_available()
        return self._tracker.create_options(start_hidden=start_hidden)

    def attach(self, window: Any) -> None:
        """Follow the window's place through pywebview's events (no Qt)."""
        if self._tracker is not None:
            self._tracker.attach(window.events)

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
            from launcher.desktop.tray.linux import tray_available

            if tray_available():
                window.minimized = False
                window.hidden = True

    def on_closing(self) -> bool:
        """pywebview's closing (main thread). False keeps the window (it went to the tray)."""
        self._save_geometry()
        if self.shell.exit_code is not None or self.tray is None or not self._close_to_tray:
            return True
        if self.shell._qt is not None:
            native = self.shell.window.native
            if native is not None:
                native.hide()
        else:
            self.shell.window.hide()
        _log.info("window hidden to the tray")
        return False

    # ------------------------------------------------------------------ after the window is shown

    def start(self) -> None:
        """Worker thread, once the window is up: tray, shortcuts, notifier, then poll the page."""
        qt = self.shell._qt
        if qt is not None:
            qt.on_main_thread(self._create_qt_parts)
        else:
            self._seed_place()
            self._create_native_tray()
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
        from launcher.desktop.shortcuts import Shortcuts

        self._shortcuts = Shortcuts(native, self.shell.reload)
        if not self._tray_wanted:
            return
        from launcher.desktop.tray.linux import Tray, tray_available

        if not tray_available():
            _log.info("no system tray on this desktop: closing the window quits")
            return
        self.tray = Tray(
            ICON_PNG,
            self.shell.organization,
            on_open=self.bring_forward,
            on_sign_out=self._tray_sign_out,
            on_quit=self.quit,
        )

    def _seed_place(self) -> None:
        """Where the system put the window, when no saved place told it where to open."""
        if self._tracker is None:
            return
        window = self.shell.window
        try:
            self._tracker.seed(int(window.x), int(window.y), int(window.width), int(window.height))
        except Exception:
            _log.info("the window's place could not be read")

    def _create_native_tray(self) -> None:
        """Windows' notification area or macOS's menu bar, through pystray (no Qt there)."""
        if not self._tray_wanted or not _native_tray_available():
            return
        from launcher.desktop.tray.windows_macos import PystrayTray

        try:
            tray = PystrayTray(
                ICON_PNG,
                self.shell.organization,
                on_open=self.bring_forward,
                on_sign_out=self._tray_sign_out,
                on_quit=self.quit,
            )
            tray.start()
        except Exception as exc:
            _log.info("no tray icon: %s; closing the window quits", exc)
            return
        self.tray = tray

    def _create_notifier(self) -> None:
        try:
            system = _platform()
            if system.startswith("linux"):
                from launcher.desktop.notify.linux import DBusNotifier

                self.notifier = DBusNotifier(self.shell.organization, on_click=self._clicked)
            elif system in ("win32", "darwin"):
                from launcher.desktop.notify.windows_macos import NativeNotifier

                self.notifier = NativeNotifier(
                    self.shell.organization,
                    on_click=self._clicked,
                    app_icon=ICON_PNG,
                )
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
        elif self.tray is not None:
            self.tray.set_unread(value)  # pystray's tray hands it to the right thread itself

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
        elif self.tray is not None:
            self.tray.show_message(note.title, note.body)
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
            from launcher.signin.http import make_client

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
        if shell.commands_work():
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
            window.show()  # WebView2: Show + Activate; WKWebView: makeKeyAndOrderFront + activate
            tracker = self._tracker
            if tracker is None or tracker.minimized:
                window.restore()  # only when minimized: on Windows it would also un-maximize
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
        if self.tray is not None and self.shell._qt is None:
            try:
                self.tray.hide()  # pystray: remove the icon and end its loop (Qt's goes with the app)
            except Exception:
                _log.exception("could not remove the tray icon")
        if self.notifier is not None:
            self.notifier.close()
        if self._avatar_dir is not None:
            import shutil

            shutil.rmtree(self._avatar_dir, ignore_errors=True)

    # ------------------------------------------------------------------ window place

    def _save_geometry(self) -> None:
        if self._tracker is not None:
            state = self._tracker.state()
            if state is not None:
                window_state.save(self.shell.paths.data_dir, state)
            return
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
        if qt is None and self.tray is not None:
            facts["tray_menu"] = self.tray.menu_titles()
            facts["tray_tooltip"] = self.tray.tooltip
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


def _platform() -> str:
    return sys.platform


def _native_tray_available() -> bool:
    try:
        from launcher.desktop.tray.windows_macos import tray_available
    except ImportError:  # a build without it (the Linux bundle)
        return False
    return tray_available()


def _webview_screens() -> list[window_state.Rect]:
    """pywebview's screens (WinForms, AppKit): available before the window exists."""
    try:
        import webview

        return [window_state.Rect(s.x, s.y, s.width, s.height) for s in webview.screens]
    except Exception:
        _log.info("the screens are unknown: the saved window place is used as it is")
        return []


def _qt_screens() -> list[window_state.Rect]:
    from qtpy.QtGui import QGuiApplication

    rects = []
    for screen in QGuiApplication.screens():
        g = screen.availableGeometry()
        rects.append(window_state.Rect(g.x(), g.y(), g.width(), g.height()))
    return rects
