"""The desktop pieces that are plain logic: unread forms, notification checks, window placement, the
single-instance channel (real sockets, real lock, a real second process), and the badge drawing
(real Qt painting offscreen)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from launcher.desktop import notifications, unread
from launcher.desktop.unread import Unread
from launcher.system import single_instance
from launcher.window import place as window_state
from tests.support.launcher_runs import REPO


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, Unread(count=3)),
        (0, Unread()),
        ("", Unread()),
        ("•", Unread(dot=True)),
        ("12", Unread(count=12)),
        ("999+", Unread(count=999, capped=True)),
        (2.0, Unread(count=2)),
    ],
)
def test_unread_changed_forms_of_every_rocketchat_version(value, expected):
    assert unread.from_event(value) == expected


@pytest.mark.parametrize(
    "value", [None, True, -1, float("nan"), "lots", "<b>3</b>", {"count": 3}, [3], "1" * 9]
)
def test_anything_else_is_not_an_unread_count(value):
    assert unread.from_event(value) is None


@pytest.mark.parametrize(
    ("total", "alerted", "expected"),
    [
        (Unread(), 2, Unread(dot=True)),  # 7.8+: rooms unread without a count come only per room
        (Unread(count=3), 2, Unread(count=3)),  # a number says more than the dot
        (Unread(), 0, Unread()),
        (Unread(), None, Unread()),  # an older page that sends no per-room events
        (Unread(), "2", Unread()),  # not a count: ignored
    ],
)
def test_rooms_unread_without_a_count_make_the_dot(total, alerted, expected):
    assert unread.with_room_alerts(total, alerted) == expected


def test_title_fallback_and_labels():
    assert unread.from_title("(4) Chat sandbox") == Unread(count=4)
    assert unread.from_title("(•) Rocket.Chat") == Unread(dot=True)
    assert unread.from_title("Rocket.Chat (4)") == Unread()
    assert unread.from_title(None) == Unread()
    assert Unread(count=150).label == "99+" and Unread(dot=True).label == "•" and Unread().label == ""
    assert unread.window_title("Example Corp", Unread(count=2)) == "(2) Example Corp"
    assert unread.window_title("Example Corp", Unread()) == "Example Corp"


def _detail(**notification):
    base = {
        "title": "bob",
        "text": "hi",
        "payload": {"rid": "GENERAL", "type": "c", "name": "general", "sender": {"username": "bob"}},
    }
    base.update(notification)
    return {"notification": base, "fromOpenedRoom": False, "hasFocus": False}


def test_a_rocketchat_notification_is_parsed_to_plain_text_and_a_room_route():
    note = notifications.parse(_detail(text="line\x00one\u202e", title="x" * 500))
    assert note is not None
    assert note.body == "lineone" and len(note.title) == notifications.TITLE_MAX
    assert note.room_path == "channel/general" and note.sender_username == "bob"
    direct = notifications.parse(_detail(payload={"rid": "abcDEF123", "type": "d"}))
    assert direct.room_path == "direct/abcDEF123"
    odd = notifications.parse(_detail(payload={"rid": "../../x", "type": "c", "name": "general"}))
    assert odd.room_path is None
    named = notifications.parse(_detail(payload={"rid": "R1", "type": "p", "name": "a/b?c"}))
    assert named.room_path == "group/a%2Fb%3Fc"  # stays inside Rocket.Chat's routes


@pytest.mark.parametrize("detail", [None, "text", {}, {"notification": "x"}, {"notification": {"title": 3}}])
def test_other_shapes_are_refused(detail):
    assert notifications.parse(detail) is None


def test_do_not_disturb_rules():
    note = notifications.parse(_detail())
    opened = notifications.parse({**_detail(), "fromOpenedRoom": True, "hasFocus": True})
    show = notifications.should_show
    flags = {"enabled": True, "user_status": "online", "window_active": False, "desktop_inhibited": False}
    assert show(note, **flags)
    assert not show(note, **{**flags, "enabled": False})
    assert not show(note, **{**flags, "user_status": "busy"})
    assert not show(note, **{**flags, "desktop_inhibited": True})
    assert not show(opened, **flags)  # the person is reading that room
    assert notifications.escape_markup("<a href='x'>&</a>") == "&lt;a href='x'&gt;&amp;&lt;/a&gt;"


def test_window_place_is_kept_on_a_screen(tmp_path):
    screens = [window_state.Rect(0, 0, 1280, 800), window_state.Rect(1280, 0, 1920, 1080)]
    kept = window_state.WindowState(1400, 100, 1000, 700)
    assert window_state.fit_on_screen(kept, screens) == kept
    gone = window_state.WindowState(4000, 3000, 1000, 700, maximized=True)
    moved = window_state.fit_on_screen(gone, screens)
    assert (moved.width, moved.height, moved.maximized) == (1000, 700, True)
    assert moved.x >= 0 and moved.x + moved.width <= 1280 and moved.y >= 0 and moved.y + moved.height <= 800
    too_big = window_state.fit_on_screen(window_state.WindowState(-5000, 0, 3000, 2000), screens[:1])
    assert too_big == window_state.WindowState(0, 0, 1280, 800)

    window_state.save(tmp_path, kept)
    assert window_state.load(tmp_path) == kept
    (tmp_path / window_state.FILE_NAME).write_text('{"x": "1", "y": 0, "width": 5, "height": 5}')
    assert window_state.load(tmp_path) is None
    assert window_state.load(tmp_path / "missing") is None


@pytest.mark.real
def test_single_instance_answers_a_second_start_only_for_the_same_profile(tmp_path):
    first = single_instance.acquire(tmp_path / "a")
    assert first is not None
    try:
        shown = threading.Event()
        first.listen(shown.set)
        assert single_instance.acquire(tmp_path / "a") is None  # asked the first one instead
        assert shown.wait(5)
        other = single_instance.acquire(tmp_path / "b")  # another profile is independent
        assert other is not None
        other.close()
        socket_dir = Path(os.environ["XDG_RUNTIME_DIR"]) / "rocketchat-launcher"
        assert stat.S_IMODE(socket_dir.stat().st_mode) == 0o700

        # a real second process: it gets "ok" and leaves
        code = (
            "import sys; from pathlib import Path; from launcher.system import single_instance as s;"
            f" sys.exit(0 if s.acquire(Path({str(tmp_path / 'a')!r})) is None else 5)"
        )
        shown.clear()
        assert subprocess.run([sys.executable, "-c", code], cwd=REPO, timeout=30).returncode == 0
        assert shown.wait(5)
    finally:
        first.close()
    again = single_instance.acquire(tmp_path / "a")  # the lock and the socket were released
    assert again is not None
    again.close()


def test_the_badge_is_drawn_on_the_icon(tmp_path):
    pytest.importorskip("qtpy.QtGui")
    from qtpy.QtGui import QColor, QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(["test", "-platform", "offscreen"])
    from launcher.desktop.badge import linux as badge
    from launcher.web import ICON_PNG

    base = badge.base_image(ICON_PNG)
    plain = badge.draw_badge(base, Unread())
    marked = badge.draw_badge(base, Unread(count=7))

    def badge_pixels(image) -> int:
        size = badge.ICON_SIZE
        found = 0
        for x in range(size // 2, size):
            for y in range(size // 2):
                c = QColor(image.pixel(x, y))
                found += abs(c.red() - 0xE1) < 12 and abs(c.green() - 0x1D) < 12 and abs(c.blue() - 0x48) < 12
        return found

    assert badge_pixels(plain) < 5 and badge_pixels(marked) > 100
    assert badge_pixels(badge.draw_badge(base, Unread(dot=True))) > 50
    assert marked.save(str(tmp_path / "badge.png"))
    del app
