"""Living with the window all day: unread count in the title and on the tray icon, native
notifications, the tray menu, close-to-tray, bring-forward for a second start, and the keyboard
shortcuts. See docs/desktop.md for what each OS gets. The window's place is the window's own
(launcher/window/place.py).

Nothing here runs before the window is on screen except `start_hidden` and `on_closing`. The window
is reached only through the `WindowHost` interface (launcher/desktop/host.py) and its engine; the
per-OS parts sit behind `tray.create` and `notify.create` and are imported only when used. Rocket.Chat's events reach Python one way only: a
poll thread runs `injection.desktop_drain` in the page (the page gets no bridge), and every value is
checked here (launcher.desktop.unread, launcher.desktop.notifications).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from launcher.desktop import notifications, notify, tray, unread
from launcher.desktop.avatars import Avatars
from launcher.desktop.host import WindowHost
from launcher.desktop.unread import NONE, Unread
from launcher.web import ICON_PNG
from launcher.window import injection
from launcher.window.features.downloads import opens_as_program
from launcher.window.states import State

__all__ = ["POLL_INTERVAL_S", "Desktop"]

_log = logging.getLogger(__name__)

POLL_INTERVAL_S = 1.0
_FOLLOWED = (State.SIGNED_IN, State.SIGNING_IN)  # the states in which the page is Rocket.Chat's


class Desktop:
    """Built by app.py beside the shell (`host`); `platform` (sys.platform by default) picks the tray
    and notifier."""

    def __init__(self, host: WindowHost, platform: str | None = None) -> None:
        self.host = host
        self._platform = platform
        settings = host.settings
        self._tray_wanted = settings.desktop_tray
        self._close_to_tray = settings.desktop_close_to_tray
        self._notify = settings.desktop_notifications
        self.tray: tray.Tray | None = None
        self.notifier: notify.Notifier | None = None
        self.unread: Unread = NONE
        self.user_status: str | None = None
        self.notifications_shown = 0
        self.activations = 0
        self.events_seen = False  # Rocket.Chat's unread-changed came (else the page title is used)
        self._title = ""
        self._avatars = Avatars(settings, host.rc_url)
        self.started = threading.Event()  # set once the shortcuts, tray and notifier are in place

    # ------------------------------------------------------------------ before the window shows

    def start_hidden(self) -> bool:
        """--start-minimized opens the window hidden only when a tray will be there to open it again."""
        return self.host.start_minimized and self._tray_wanted and tray.available(self._platform)

    def on_closing(self) -> bool:
        """pywebview's closing (UI thread), after the window kept its place. False keeps the window: it
        went to the tray."""
        if self.host.exiting or self.tray is None or not self._close_to_tray:
            return True
        engine = self.host.engine
        if engine is not None:
            engine.hide()
        _log.info("window hidden to the tray")
        return False

    # ------------------------------------------------------------------ after the window is shown

    def start(self) -> None:
        """Worker thread, once the window is up: tray, shortcuts, notifier, then poll the page."""
        engine = self.host.engine
        if engine is None:
            return
        engine.install_shortcuts(self.host.reload)
        if self._tray_wanted:
            self.tray = engine.on_ui_thread(self._create_tray)
        if self._notify:
            self._create_notifier()
        self.started.set()
        self._title = self.host.organization
        closed = self.host.closed
        while not closed.wait(POLL_INTERVAL_S):
            try:
                self._poll()
            except Exception:
                _log.exception("reading Rocket.Chat's events failed")

    def _create_tray(self) -> tray.Tray | None:
        return tray.create(
            ICON_PNG,
            self.host.organization,
            on_open=self.bring_forward,
            on_sign_out=self._tray_sign_out,
            on_quit=self.quit,
            platform=self._platform,
        )

    def _create_notifier(self) -> None:
        try:
            self.notifier = notify.create(
                self.host.organization, on_click=self._clicked, app_icon=ICON_PNG, platform=self._platform
            )
        except Exception as exc:
            _log.info("desktop notifications are off: %s", exc)

    # ------------------------------------------------------------------ reading Rocket.Chat's events

    def _poll(self) -> None:
        host = self.host
        if host.state not in _FOLLOWED:
            self._set_unread(NONE)
            return
        found = host.evaluate(injection.desktop_drain(host.rc_origin), timeout=2.0)
        if not isinstance(found, dict) or found.get("origin") != host.rc_origin:
            return
        if found.get("unreadSeen") is True:
            parsed = unread.from_event(found.get("unread"))
            if parsed is not None:
                self.events_seen = True
                self._set_unread(unread.with_room_alerts(parsed, found.get("alertedRooms")))
        elif not self.events_seen:
            self._set_unread(unread.from_title(found.get("title")))
        status = found.get("status")
        if isinstance(status, str) and len(status) < 20:
            self.user_status = status
        raw = found.get("notifications")
        if host.state == State.SIGNED_IN and isinstance(raw, list):
            for detail in raw[:20]:
                note = notifications.parse(detail)
                if note is not None:
                    self._maybe_notify(note)

    def _set_unread(self, value: Unread) -> None:
        if value == self.unread and self._title:
            return
        self.unread = value
        title = unread.window_title(self.host.organization, value)
        if title != self._title:
            self._title = title
            try:
                self.host.set_title(title)
            except Exception:
                _log.exception("could not set the window title")
        self._on_tray(lambda icon: icon.set_unread(value))

    def _on_tray(self, job: Any) -> bool:
        """Run `job(tray)` where the tray wants it (False: there is no tray)."""
        icon, engine = self.tray, self.host.engine
        if icon is None or engine is None:
            return False
        engine.on_ui_thread(lambda: job(icon))
        return True

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
            if self.notifier.show(note, self._avatars.path_for(note.sender_username)) is not None:
                self.notifications_shown += 1
        elif self._on_tray(lambda icon: icon.show_message(note.title, note.body)):
            self.notifications_shown += 1  # no notification server: the tray's balloon instead

    # ------------------------------------------------------------------ actions

    def notify_file(self, title: str, body: str, open_path: Path | None) -> None:
        """A notification about a file the launcher saved (a download); a click opens the file. From any
        thread: the notification service is called on a thread of its own."""
        note = notifications.Notification(
            title=title, body=body, open_path=str(open_path) if open_path else None
        )

        def show() -> None:
            if self.notifier is not None:
                if self.notifier.show(note) is not None:
                    self.notifications_shown += 1
            elif self._on_tray(lambda icon: icon.show_message(note.title, note.body)):
                self.notifications_shown += 1

        threading.Thread(target=show, name="file-notification", daemon=True).start()

    def _clicked(self, note: notifications.Notification) -> None:
        """A notification was clicked: the window comes forward, on the notification's room (or the
        saved file opens)."""
        if note.open_path:
            open_file(Path(note.open_path))
            return
        self.bring_forward()
        path = note.room_path
        host = self.host
        if not path or host.state != State.SIGNED_IN:
            return
        if host.commands_work():
            host.evaluate(injection.open_room(host.rc_origin, path))
        else:
            host.load_rocketchat(path)

    def bring_forward(self) -> None:
        """Show, un-minimize, raise and focus the window (a second start, the tray, a notification)."""
        self.activations += 1
        engine = self.host.engine
        if engine is not None:
            engine.bring_forward()

    def window_active(self) -> bool:
        engine = self.host.engine
        return engine is not None and engine.is_active()

    def quit(self) -> None:
        self.host.request_exit(0, "")

    def _tray_sign_out(self) -> None:
        self.bring_forward()
        threading.Thread(target=self.host.sign_out, name="tray-sign-out", daemon=True).start()

    def close(self) -> None:
        if self.tray is not None:
            try:
                self.tray.close()
            except Exception:
                _log.exception("could not remove the tray icon")
        if self.notifier is not None:
            self.notifier.close()
        self._avatars.close()


def open_file(path: Path) -> None:
    """Open a saved file with the desktop's application for it (never a command line built from it);
    a file that would run as a program (launchers, scripts, executables) shows in its folder instead."""
    try:
        mode = path.stat().st_mode
    except OSError:
        mode = 0
    program = opens_as_program(path.name, mode)
    try:
        if sys.platform == "win32":
            os.startfile(path.parent if program else path)  # type: ignore[attr-defined]  # noqa: S606
        elif sys.platform == "darwin":
            subprocess.Popen(["open", "-R", str(path)] if program else ["open", "--", str(path)])
        else:
            subprocess.Popen(["xdg-open", str(path.parent if program else path)])
    except OSError as exc:
        _log.warning("could not open a downloaded file: %s", exc.strerror or exc)
