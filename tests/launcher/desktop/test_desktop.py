"""Desktop integration in the real window against rcsandbox: unread count in the title and on the tray
icon (a real StatusNotifierItem registered with a watcher on the private session bus), notifications
received by a real org.freedesktop.Notifications service on that bus, do-not-disturb, click to open the
room, close to tray. Messages are posted through rcsandbox's side door, so Rocket.Chat's own events
(`unread-changed`, `notification`) drive everything."""

from __future__ import annotations

import httpx
import pytest

from tests.launcher.desktop.desktop_bus import NotificationServer, StatusNotifierWatcher, largest_pixmap
from tests.support.launcher_runs import ALICE, ORGANIZATION

pytestmark = pytest.mark.window


def _red_pixels(pixmaps: list) -> int:
    """Pixels of the badge colour (#e11d48) in the top-right quarter of the tray icon."""
    width, height, pixels = largest_pixmap(pixmaps)
    count = 0
    for index, (a, r, g, b) in enumerate(pixels):
        x, y = index % width, index // width
        if (
            x >= width // 2
            and y < height // 2
            and a > 240
            and abs(r - 0xE1) < 12
            and abs(g - 0x1D) < 12
            and abs(b - 0x48) < 12
        ):
            count += 1
    return count


def _mark_read(sandbox) -> None:
    """What the person does in Rocket.Chat: open the room (rcsandbox's client marks everything read)."""
    user_id, token = sandbox.login_token(ALICE.username)
    answer = httpx.post(
        f"{sandbox.url}/sandbox/client/read",
        headers={"X-User-Id": user_id, "X-Auth-Token": token},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text


@pytest.fixture
def watcher():
    service = StatusNotifierWatcher()
    yield service
    service.close()


@pytest.fixture
def notification_server():
    service = NotificationServer()
    yield service
    service.close()


def test_unread_count_in_title_and_tray_badge_and_notifications(
    make_launcher, watcher, notification_server, artifacts_dir
):
    launcher = make_launcher()
    launcher.sign_in_by_command()
    sandbox = launcher.stack.sandbox
    live = launcher.start()
    live.wait_signed_in()

    facts = live.wait_facts(lambda f: f["tray"])
    assert facts["title"] == ORGANIZATION and facts["tray_menu"] == ["Open", "Sign out", "Quit"]
    assert _red_pixels(watcher.item_property("IconPixmap")) == 0  # no badge yet

    sandbox.post_message(ALICE.username, "Lunch at <b>noon</b>?", sender="admin", room="general")
    sandbox.post_message(ALICE.username, "And coffee after", sender="admin", room="general")
    facts = live.wait_facts(lambda f: f["unread_count"] == 2)
    assert facts["unread_from_events"] is True  # from Rocket.Chat's unread-changed, not the page title
    assert facts["title"] == f"(2) {ORGANIZATION}"
    # the tray item as a tray host sees it over D-Bus
    assert watcher.item_property("ToolTip")[2] == f"{ORGANIZATION}: 2 unread"
    assert _red_pixels(watcher.item_property("IconPixmap")) > 20
    assert live.command("tray-icon", path=str(artifacts_dir / "tray-badge.png"))["saved"]
    assert live.command("screenshot", path=str(artifacts_dir / "window-unread.png"))["saved"]

    received = notification_server.wait_for(2)
    first = received[0]
    assert first["summary"] == "admin"
    # the server reads markup (body-markup capability): the text is escaped, never interpreted
    assert first["body"] == "Lunch at &lt;b&gt;noon&lt;/b&gt;?"
    assert received[1]["body"] == "And coffee after"
    assert first["app_name"] == ORGANIZATION and "default" in first["actions"]

    _mark_read(sandbox)
    facts = live.wait_facts(lambda f: f["unread_count"] == 0)
    assert facts["title"] == ORGANIZATION
    assert watcher.item_property("ToolTip")[2] == ORGANIZATION
    assert _red_pixels(watcher.item_property("IconPixmap")) == 0

    # clicking a notification opens its room with Rocket.Chat's own `go` command
    notification_server.click(first["id"])
    live.wait_facts(lambda f: f["activations"] >= 1)
    navigated = _wait(lambda: sandbox.events(kind="navigated"))
    assert navigated[-1]["path"] == "/channel/general"

    run = live.finish()
    assert run.returncode == 0, run.explain()


def test_do_not_disturb_busy_status_and_desktop_inhibition(make_launcher, watcher, notification_server):
    launcher = make_launcher()
    launcher.sign_in_by_command()
    sandbox = launcher.stack.sandbox
    live = launcher.start()
    live.wait_signed_in()
    live.wait_facts(lambda f: f["notifier"])

    assert live.command("page-command", message={"externalCommand": "set-user-status", "status": "busy"})[
        "posted"
    ]
    live.wait_facts(lambda f: f["user_status"] == "busy")
    sandbox.post_message(ALICE.username, "while busy", sender="admin")
    live.wait_facts(lambda f: f["unread_count"] == 1)  # the event came through, and was held back

    live.command("page-command", message={"externalCommand": "set-user-status", "status": "online"})
    live.wait_facts(lambda f: f["user_status"] == "online")
    notification_server.set_inhibited(True)  # the desktop's do-not-disturb (KDE publishes it this way)
    sandbox.post_message(ALICE.username, "while the desktop is quiet", sender="admin")
    live.wait_facts(lambda f: f["unread_count"] == 2)

    notification_server.set_inhibited(False)
    sandbox.post_message(ALICE.username, "now you may", sender="admin")
    received = notification_server.wait_for(1)
    live.wait_facts(lambda f: f["unread_count"] == 3)
    assert [n["body"] for n in received] == ["now you may"]
    assert live.finish().returncode == 0


def _choose_status(live, status: str) -> None:
    """What the person does in Rocket.Chat's own status menu (the stand-in's select)."""
    script = (
        "(function () { var menu = document.querySelector('#status-menu'); if (!menu) return false;"
        f" menu.value = '{status}'; menu.dispatchEvent(new Event('change')); return true; }})()"
    )
    assert live.command("js", script=script)["value"] is True


def test_busy_chosen_in_rocketchats_own_menu_holds_notifications_back(make_launcher, notification_server):
    """Since 7.0 the page announces a status descriptor ({id, name, statusType, localizeName}) with no
    `status` field: Busy is read from `statusType`."""
    launcher = make_launcher(stack_options={"rc_options": {"version": "7.0.0"}})
    launcher.sign_in_by_command()
    sandbox = launcher.stack.sandbox
    live = launcher.start()
    live.wait_signed_in()
    live.wait_facts(lambda f: f["notifier"])

    _choose_status(live, "busy")
    live.wait_facts(lambda f: f["user_status"] == "busy")
    assert [e["how"] for e in sandbox.events(kind="user-status")] == ["menu"]
    sandbox.post_message(ALICE.username, "while busy", sender="admin")
    live.wait_facts(lambda f: f["unread_count"] == 1)

    _choose_status(live, "online")
    live.wait_facts(lambda f: f["user_status"] == "online")
    sandbox.post_message(ALICE.username, "back again", sender="admin")
    received = notification_server.wait_for(1)
    live.wait_facts(lambda f: f["unread_count"] == 2)
    assert [n["body"] for n in received] == ["back again"]
    assert live.finish().returncode == 0


def test_a_room_unread_without_a_count_shows_the_dot(make_launcher, watcher):
    """On 7.8 and later such a room is only in `unread-changed-by-subscription` (the total stays 0): the
    title and the tray badge still show the dot, and a counted message then shows its number."""
    launcher = make_launcher(stack_options={"rc_options": {"version": "7.8.0"}})
    launcher.sign_in_by_command()
    sandbox = launcher.stack.sandbox
    live = launcher.start()
    live.wait_signed_in()
    live.wait_facts(lambda f: f["tray"] and f["unread_from_events"])
    assert _red_pixels(watcher.item_property("IconPixmap")) == 0

    sandbox.post_message(ALICE.username, "@here standup in 5", sender="admin", room="team", alert_only=True)
    facts = live.wait_facts(lambda f: f["unread_label"] == "•")
    assert facts["unread_count"] == 0 and facts["title"] == f"(•) {ORGANIZATION}"
    assert _red_pixels(watcher.item_property("IconPixmap")) > 20

    sandbox.post_message(ALICE.username, "a counted one", sender="admin", room="dev")
    facts = live.wait_facts(lambda f: f["unread_label"] == "1")
    assert facts["title"] == f"(1) {ORGANIZATION}"

    _mark_read(sandbox)
    facts = live.wait_facts(lambda f: f["unread_label"] == "")
    assert facts["title"] == ORGANIZATION
    assert _red_pixels(watcher.item_property("IconPixmap")) == 0
    assert live.finish().returncode == 0


def test_notifications_switched_off_in_the_config(make_launcher, notification_server):
    launcher = make_launcher()
    launcher.config.write_text(launcher.config.read_text() + "[desktop]\nnotifications = false\n")
    launcher.sign_in_by_command()
    live = launcher.start()
    live.wait_signed_in()
    launcher.stack.sandbox.post_message(ALICE.username, "unheard", sender="admin")
    facts = live.wait_facts(lambda f: f["unread_count"] == 1)
    assert facts["notifier"] is False and facts["notifications_shown"] == 0
    assert notification_server.received == []
    assert live.finish().returncode == 0


def test_closing_the_window_hides_it_to_the_tray_and_quit_ends(make_launcher, watcher):
    launcher = make_launcher()
    launcher.sign_in_by_command()
    live = launcher.start()
    live.wait_signed_in()
    live.wait_facts(lambda f: f["tray"] and f["visible"])

    live.command("close-window")
    facts = live.wait_facts(lambda f: not f["visible"])
    assert facts["state"] == "signed-in"  # still running, in the tray
    live.command("tray", title="Open")
    live.wait_facts(lambda f: f["visible"])
    live.command("tray", title="Quit")
    live.proc.wait(30)
    assert live.proc.returncode == 0


def test_without_a_tray_closing_the_window_quits(make_launcher):
    launcher = make_launcher()
    launcher.sign_in_by_command()
    live = launcher.start()
    live.wait_signed_in()
    assert live.command("facts")["tray"] is False
    live.command("close-window")
    live.proc.wait(30)
    assert live.proc.returncode == 0


def _wait(fetch, timeout: float = 20.0):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fetch()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"nothing within {timeout:.0f} s")
