"""The Windows/macOS desktop parts (no Qt there), run on Linux with the OS underneath mocked:

- the tray is the real launcher.desktop.tray.windows_macos on real pystray (Menu, MenuItem, default item, setup thread,
  icon/title properties) over a recording pystray Icon backend standing in for win32/darwin;
- notifications are the real launcher.desktop.notify.windows_macos on the real desktop-notifier front end and its
  backend base class (per-notification click handlers) over a recording backend standing in for WinRT
  (it hands clicks to the running asyncio loop, as the WinRT backend does) or the macOS fallback;
- the window is a stand-in with pywebview's real Event objects (handlers in threads, as on WinForms and
  Cocoa), and the shell a stand-in recording what the desktop asks of it.

What cannot be checked here: that Windows/macOS draw the icon, show the toast and report the click.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

from launcher.web import ICON_PNG

os.environ.setdefault("PYSTRAY_BACKEND", "dummy")  # before pystray is imported: no X11/GTK probing

import pystray
import pytest
from desktop_notifier.backends.base import DesktopNotifierBackend
from desktop_notifier.backends.dummy import DummyNotificationCenter
from PIL import Image
from webview.event import Event, EventContainer

from launcher.desktop import integration as desktop
from launcher.desktop.badge import windows_macos as badge_pillow
from launcher.desktop.notifications import Notification
from launcher.desktop.notify.windows_macos import NativeNotifier, NotifierUnavailable
from launcher.desktop.tray import windows_macos as tray_windows_macos
from launcher.desktop.tray.windows_macos import PystrayTray
from launcher.desktop.unread import NONE, Unread
from launcher.window import injection
from launcher.window import place as window_state
from launcher.window.engines import generic as generic_engine
from launcher.window.engines.generic import GenericEngine
from launcher.window.place import Rect, WindowState
from launcher.window.place_tracker import WindowTracker
from launcher.window.states import State

RC = "https://chat.example.test"
ICON = ICON_PNG


def wait_for(check, what: str, timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


# ---------------------------------------------------------------------------------------------- mocks


class RecordingIcon(pystray._base.Icon):
    """pystray's platform hooks, recorded instead of calling win32/AppKit."""

    instances: ClassVar[list[RecordingIcon]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[str] = []
        self.shown_images: list[Image.Image] = []
        RecordingIcon.instances.append(self)

    def _show(self) -> None:
        self.calls.append("show")
        self.shown_images.append(self.icon)

    def _hide(self) -> None:
        self.calls.append("hide")

    def _update_icon(self) -> None:
        self.calls.append("update_icon")
        self.shown_images.append(self.icon)
        self._icon_valid = True

    def _update_title(self) -> None:
        self.calls.append("title:" + self.title)

    def _update_menu(self) -> None:
        self.calls.append("menu")

    def _run_detached(self) -> None:  # win32 starts its loop thread here, darwin only marks ready
        self._mark_ready()

    def _stop(self) -> None:
        self.calls.append("stop")

    def _notify(self, message: str, title: str | None = None) -> None:
        self.calls.append(f"notify:{title}:{message}")

    def click(self) -> None:
        """What win32's WM_LBUTTONUP / darwin's button action does: run the default menu item."""
        self()

    def choose(self, text: str) -> None:
        """What a click on a native menu entry does."""
        for item in self.menu:
            if item.text == text:
                item(self)
                return
        raise AssertionError(f"no menu entry {text!r}")


class RecordingToastBackend(DesktopNotifierBackend):
    """Stands in for WinRT: remembers each toast and the asyncio loop that sent it; `click` delivers the
    activation through that loop, the way desktop-notifier's WinRT backend does."""

    sent: ClassVar[list[tuple[Any, Any]]] = []

    async def request_authorisation(self) -> bool:
        return True

    async def has_authorisation(self) -> bool:
        return True

    async def _send(self, notification: Any) -> None:
        import asyncio

        RecordingToastBackend.sent.append((notification, asyncio.get_running_loop()))

    async def _clear(self, identifier: str) -> None:
        pass

    async def _clear_all(self) -> None:
        pass

    async def _get_capabilities(self) -> frozenset:
        return frozenset()

    @classmethod
    def click(cls, index: int = -1) -> None:
        toast, loop = cls.sent[index]
        loop.call_soon_threadsafe(lambda: _backend_of(toast).handle_clicked(toast.identifier, toast))


_backends: dict[str, RecordingToastBackend] = {}


def _backend_of(toast: Any) -> RecordingToastBackend:
    return _backends[toast.identifier]


@pytest.fixture
def mocked_os(monkeypatch):
    """pystray's Icon and desktop-notifier's backend replaced by the recording ones above."""
    RecordingIcon.instances.clear()
    RecordingToastBackend.sent.clear()
    monkeypatch.setattr(pystray, "Icon", RecordingIcon)

    class Backend(RecordingToastBackend):
        async def _send(self, notification: Any) -> None:
            _backends[notification.identifier] = self
            await super()._send(notification)

    monkeypatch.setattr("desktop_notifier.main.get_backend_class", lambda: Backend)
    yield
    _backends.clear()


# ---------------------------------------------------------------------------------------------- tray


def _red_pixels(image: Image.Image) -> int:
    rgba = image.convert("RGBA")
    w, h = rgba.size
    return sum(
        1
        for x in range(w // 2, w)
        for y in range(h // 2)
        if (p := rgba.getpixel((x, y)))[3] > 240 and abs(p[0] - 0xE1) < 12 and abs(p[1] - 0x1D) < 12
    )


def test_windows_tray_with_mocked_pystray_backend_menu_click_and_actions(mocked_os):
    called: list[str] = []
    done = threading.Event()

    def record(name: str):
        def action() -> None:
            called.append(name)
            done.set()

        return action

    tray = PystrayTray(
        ICON, "Example Corp", on_open=record("open"), on_sign_out=record("sign-out"), on_quit=record("quit")
    )
    tray.start()
    icon = RecordingIcon.instances[-1]
    wait_for(lambda: "show" in icon.calls, "the icon to be shown by pystray's setup thread")
    assert icon.visible and icon.title == "Example Corp"
    assert [item.text for item in icon.menu] == ["Open", "Sign out", "- - - -", "Quit"]

    for action, expected in ((icon.click, "open"), (lambda: icon.choose("Sign out"), "sign-out")):
        done.clear()
        action()
        assert done.wait(5), expected
        assert called[-1] == expected
    done.clear()
    icon.choose("Quit")
    assert done.wait(5) and called == ["open", "sign-out", "quit"]

    tray.hide()
    assert icon.calls[-2:] == ["hide", "stop"]


def test_windows_tray_with_mocked_pystray_backend_badge_follows_the_count(mocked_os, tmp_path):
    tray = PystrayTray(
        ICON, "Example Corp", on_open=lambda: None, on_sign_out=lambda: None, on_quit=lambda: None
    )
    tray.start()
    icon = RecordingIcon.instances[-1]
    wait_for(lambda: "show" in icon.calls, "the icon to be shown")
    plain = icon.icon
    assert _red_pixels(plain) == 0

    tray.set_unread(Unread(count=3))
    assert icon.calls[-2:] == ["update_icon", "title:Example Corp: 3 unread"]
    three = icon.shown_images[-1]
    assert _red_pixels(three) > 100 and icon.title == "Example Corp: 3 unread"

    tray.set_unread(Unread(count=150))
    many = icon.shown_images[-1]
    assert _red_pixels(many) > 100 and many.tobytes() != three.tobytes()  # "99+" is wider

    tray.set_unread(Unread(dot=True))
    assert icon.title == "Example Corp: unread messages" and _red_pixels(icon.shown_images[-1]) > 50

    tray.set_unread(NONE)
    assert icon.shown_images[-1].tobytes() == plain.tobytes() and icon.title == "Example Corp"
    assert icon.icon.size == (64, 64)


def test_badge_drawn_with_pillow_matches_the_qt_badge_layout():
    base = badge_pillow.base_image(ICON)
    assert base.size == (64, 64) and base.getbbox() is not None  # the icon was read
    assert badge_pillow.draw_badge(base, NONE).tobytes() == base.tobytes()
    badged = badge_pillow.draw_badge(base, Unread(count=7))
    assert _red_pixels(badged) > 100
    assert badged.getpixel((2, 62)) == base.getpixel((2, 62))  # only the top-right corner changes
    unreadable = badge_pillow.base_image(Path("/nonexistent/icon.png"))
    assert unreadable.getbbox() is None  # transparent, no exception


# ---------------------------------------------------------------------------------------------- notifications


def test_windows_notifications_with_mocked_winrt_backend_click_calls_back_with_the_room(mocked_os):
    clicked: list[tuple[Notification, str]] = []
    got = threading.Event()

    def on_click(note: Notification) -> None:
        clicked.append((note, threading.current_thread().name))
        got.set()

    notifier = NativeNotifier("Example Corp", on_click=on_click, app_icon=ICON)
    try:
        note = Notification(title="bob", body="<b>hi</b> there", room_path="channel/general")
        identifier = notifier.show(note)
        assert identifier is not None
        toast, loop = RecordingToastBackend.sent[-1]
        assert (toast.title, toast.message) == ("bob", "<b>hi</b> there")  # plain text, as sent
        assert loop.is_running(), "toasts must be sent on a running loop (WinRT delivers clicks to it)"
        assert toast.identifier == identifier and not notifier.inhibited()

        RecordingToastBackend.click()
        assert got.wait(5) and clicked == [(note, "notification-click")]  # not on the loop or UI thread
    finally:
        notifier.close()
    assert not loop.is_running()


def test_macos_notifications_with_mocked_unsigned_app_are_refused(monkeypatch):
    monkeypatch.setattr("desktop_notifier.main.get_backend_class", lambda: DummyNotificationCenter)
    with pytest.raises(NotifierUnavailable, match="signed app bundle"):
        NativeNotifier("Example Corp", on_click=lambda _n: None)


# ---------------------------------------------------------------------------------------------- window place


def test_window_place_without_qt_follows_pywebview_events_and_ignores_maximize_and_minimize(tmp_path):
    screens = [Rect(0, 0, 1920, 1040)]
    tracker = WindowTracker(screens, WindowState(3000, 200, 900, 700), (1180, 780))
    options = tracker.create_options(start_hidden=False)
    assert options["width"] == 900 and options["height"] == 700
    assert 0 <= options["x"] <= 1920 - 900 and options["maximized"] is False  # moved back onto the screen

    tracker.on_moved(100, 80)
    tracker.on_resized(1000, 720)
    tracker.on_maximized()
    tracker.on_resized(1936, 1056)  # Windows reports the maximized size after "maximized"
    tracker.on_moved(-8, -8)
    assert tracker.state() == WindowState(100, 80, 1000, 720, maximized=True)
    tracker.on_restored()
    assert tracker.state() == WindowState(100, 80, 1000, 720, maximized=False)

    tracker.on_resized(1936, 1056)  # a maximize whose "maximized" event comes second: size not kept
    tracker.on_minimized()
    tracker.on_moved(-32000, -32000)  # where Windows puts a minimized window
    assert tracker.state() == WindowState(100, 80, 1000, 720) and tracker.minimized
    tracker.on_restored()
    assert not tracker.minimized

    assert tracker.create_options(start_hidden=True)["hidden"] is True
    fresh = WindowTracker(screens, None, (1180, 780))
    assert fresh.state() is None and fresh.create_options(False) == {"width": 1180, "height": 780}
    fresh.seed(50, 60, 1180, 780)
    assert fresh.state() == WindowState(50, 60, 1180, 780)


# ---------------------------------------------------------------------------------------------- the desktop, wired


class FakeWindow:
    """pywebview's Window as the desktop uses it, with pywebview's real events."""

    def __init__(self) -> None:
        self.events = EventContainer()
        for name in ("moved", "resized", "maximized", "minimized", "restored", "loaded"):
            setattr(self.events, name, Event(self))
        self.calls: list[str] = []
        self.title = ""
        self.x, self.y, self.width, self.height = 10, 20, 1180, 780

    def set_title(self, title: str) -> None:
        self.title = title

    def get_current_url(self) -> str:
        return RC + "/home"

    def show(self) -> None:
        self.calls.append("show")

    def hide(self) -> None:
        self.calls.append("hide")

    def restore(self) -> None:
        self.calls.append("restore")


class FakeShell:
    def __init__(self, data_dir: Path, *, notifications_on: bool = True) -> None:
        self.settings = SimpleNamespace(
            desktop_tray=True, desktop_close_to_tray=True, desktop_notifications=notifications_on
        )
        self.paths = SimpleNamespace(data_dir=data_dir)
        self.organization = "Example Corp"
        self.rc_origin = self.rc_url = RC
        self.state = State.SIGNED_IN
        self.login_path = "resume-token"
        self.start_minimized = False
        self.exit_code: int | None = None
        self.window = FakeWindow()
        self.engine = GenericEngine()  # the real engine for WebView2/WKWebView, on the fake window
        self.closed = threading.Event()
        self.drains: list[dict[str, Any]] = []
        self.drained = 0
        self.actions: list[str] = []

    @property
    def exiting(self) -> bool:
        return self.exit_code is not None

    def set_title(self, title: str) -> None:
        self.window.set_title(title)

    def reload(self) -> None:
        self.actions.append("reload")

    def evaluate(self, script: str, timeout: float = 5.0) -> Any:
        assert script == injection.desktop_drain(RC)
        self.drained += 1
        return self.drains.pop(0) if self.drains else {"origin": RC, "unreadSeen": False}

    def load_rocketchat(self, path: str) -> None:
        self.actions.append(f"open:{path}")

    def commands_work(self) -> bool:
        return self.login_path == "iframe-command"

    def sign_out(self) -> None:
        self.actions.append("sign-out")

    def request_exit(self, code: int, reason: str) -> None:
        self.actions.append(f"exit:{code}")
        self.exit_code = code


def _notification(status: str = "online", rid: str = "GENERAL", name: str = "general") -> dict[str, Any]:
    return {
        "origin": RC,
        "unreadSeen": True,
        "unread": 3,
        "status": status,
        "notifications": [
            {
                "notification": {
                    "title": "bob",
                    "text": "hello alice",
                    "payload": {"rid": rid, "type": "c", "name": name},
                },
                "fromOpenedRoom": False,
                "hasFocus": False,
            }
        ],
    }


@pytest.fixture
def windows_desktop(mocked_os, monkeypatch, tmp_path):
    """A Desktop as on Windows: platform and tray availability mocked, screens as WinForms reports."""
    monkeypatch.setattr(tray_windows_macos, "tray_available", lambda: True)
    monkeypatch.setattr(generic_engine, "_screens", lambda: [Rect(0, 0, 1920, 1040)])
    monkeypatch.setattr(desktop, "POLL_INTERVAL_S", 0.05)
    started: list[tuple[FakeShell, desktop.Desktop, threading.Thread]] = []

    def start(**kwargs: Any) -> tuple[FakeShell, desktop.Desktop]:
        shell = FakeShell(tmp_path, **kwargs)
        desk = desktop.Desktop(shell, platform="win32")
        shell.options = window_state.opening_options(shell.engine, tmp_path, (1180, 780), desk.start_hidden)
        shell.engine.attach(shell.window)
        shell.engine.shown()
        thread = threading.Thread(target=desk.start, daemon=True)
        thread.start()
        started.append((shell, desk, thread))
        wait_for(desk.started.is_set, "the desktop parts to start")
        return shell, desk

    yield start
    for shell, desk, thread in started:
        shell.closed.set()
        thread.join(5)
        desk.close()


def test_windows_desktop_with_mocked_pystray_and_winrt_badge_notification_click_opens_the_room(
    windows_desktop,
):
    shell, desk = windows_desktop()
    icon = wait_for(lambda: RecordingIcon.instances and RecordingIcon.instances[-1], "the tray icon")
    shell.drains.append(_notification())
    wait_for(lambda: shell.window.title == "(3) Example Corp", "the unread count in the title")
    wait_for(lambda: icon.title == "Example Corp: 3 unread", "the badge on the tray icon")
    assert _red_pixels(icon.shown_images[-1]) > 100
    wait_for(lambda: RecordingToastBackend.sent, "a toast")
    toast, _loop = RecordingToastBackend.sent[-1]
    assert (toast.title, toast.message) == ("bob", "hello alice") and desk.notifications_shown == 1

    RecordingToastBackend.click()
    wait_for(lambda: "open:channel/general" in shell.actions, "the room to open")
    assert "show" in shell.window.calls and desk.activations == 1
    assert [item.text for item in icon.menu] == ["Open", "Sign out", "- - - -", "Quit"]


def test_windows_desktop_with_mocked_pystray_menu_signs_out_quits_and_closes_to_tray(
    windows_desktop, tmp_path
):
    shell, desk = windows_desktop()
    icon = wait_for(lambda: RecordingIcon.instances and RecordingIcon.instances[-1], "the tray icon")
    shell.window.events.moved.set(300, 200)
    shell.window.events.resized.set(1000, 700)
    wait_for(lambda: shell.engine.place() == WindowState(300, 200, 1000, 700), "the tracked place")

    window_state.keep(shell.engine, tmp_path)  # the Shell's closing keeps the place, then asks the desktop
    assert desk.on_closing() is False and shell.window.calls[-1] == "hide"  # closed to the tray
    assert window_state.load(tmp_path) == WindowState(300, 200, 1000, 700)

    icon.click()
    wait_for(lambda: desk.activations == 1, "Open from the tray")
    assert shell.window.calls[-1] == "show"  # not "restore": that would un-maximize on Windows
    icon.choose("Sign out")
    wait_for(lambda: "sign-out" in shell.actions, "sign-out from the tray")
    icon.choose("Quit")
    wait_for(lambda: "exit:0" in shell.actions, "quit from the tray")
    assert desk.on_closing() is True  # quitting really closes


def test_windows_desktop_with_mocked_winrt_backend_respects_busy_and_the_config_switch(windows_desktop):
    shell, desk = windows_desktop()
    shell.drains.append(_notification(status="busy"))
    wait_for(lambda: shell.drained >= 3, "the busy notification to be read")
    assert RecordingToastBackend.sent == [] and desk.user_status == "busy"
    shell.drains.append(_notification(status="online"))
    wait_for(lambda: RecordingToastBackend.sent, "a toast once no longer busy")

    quiet_shell, quiet = windows_desktop(notifications_on=False)
    before = len(RecordingToastBackend.sent)
    quiet_shell.drains.append(_notification())
    wait_for(lambda: quiet_shell.drained >= 3, "the notification to be read")
    assert quiet.notifier is None and len(RecordingToastBackend.sent) == before


def test_windows_start_minimized_with_mocked_tray_opens_hidden_on_the_saved_place(windows_desktop, tmp_path):
    window_state.save(tmp_path, WindowState(200, 100, 900, 650, maximized=True))
    shell = FakeShell(tmp_path)
    shell.start_minimized = True
    desk = desktop.Desktop(shell, platform="win32")
    options = window_state.opening_options(shell.engine, tmp_path, (1180, 780), desk.start_hidden)
    assert options == {
        "width": 900,
        "height": 650,
        "x": 200,
        "y": 100,
        "maximized": False,
        "hidden": True,
        "minimized": False,
    }
