"""The page's newer payloads and a ROOT_URL path, in a real Qt WebEngine page (the `browser` fixture).

What differs between versions (docs/rcsandbox.md#versions): the status descriptor of 7.0, rooms unread
without a count (only in `unread-changed-by-subscription` since 7.8, a "•" before), and Meteor's storage keys
namespaced when Rocket.Chat is served under a path.
"""

from __future__ import annotations

import httpx
import pytest

from rcsandbox import Sandbox, SandboxConfig
from rcsandbox.config import ConfigError
from tests.support.browser import QtBrowser

from .conftest import make_config, wait_until
from .test_webclient import LOGGED_IN, LOGGED_OUT, STARTED, post_command

pytestmark = pytest.mark.window

RECORDER = """
window.__seen = [];
['unread-changed', 'unread-changed-by-subscription', 'user-status-manually-set'].forEach(function (name) {
  window.addEventListener(name, function (e) { window.__seen.push({type: name, detail: e.detail}); });
});
"""


def details(browser: QtBrowser, name: str) -> list:
    return browser.eval(
        f"window.__seen.filter(function (e) {{ return e.type === '{name}'; }}).map(function (e) {{ return e.detail; }})"
    )


def signed_in_page(browser: QtBrowser, rc: Sandbox) -> None:
    browser.add_init_script(RECORDER)
    _, token = rc.login_token("alice")
    browser.open(f"{rc.url}/home?resumeToken={token}")
    browser.wait_for(LOGGED_IN)
    browser.wait_for("window.__seen.some(function (e) { return e.type === 'unread-changed'; })")


def announced(status: str, descriptor: bool) -> object:
    names = {"busy": "Busy", "away": "Away"}
    return (
        {"id": status, "name": names[status], "statusType": status, "localizeName": True}
        if descriptor
        else status
    )


@pytest.mark.parametrize(("version", "descriptor"), [("8.0.0", True), ("7.0.0", True), ("6.13.0", False)])
def test_status_menu_announces_a_descriptor_from_7_0_and_a_string_before(
    browser: QtBrowser, version: str, descriptor: bool
) -> None:
    settings = {"Iframe_Integration_receive_enable": True}
    with Sandbox(make_config(version=version, settings=settings)) as rc:
        signed_in_page(browser, rc)
        browser.eval(
            "var menu = document.querySelector('#status-menu'); menu.value = 'busy';"
            " menu.dispatchEvent(new Event('change')); true"
        )
        browser.wait_for("document.querySelector('#user-status').textContent === 'Status: busy'")
        assert browser.eval("document.querySelector('#status-menu').value") == "busy"
        # The set-user-status command announces the same shape.
        post_command(browser, rc.origin, {"externalCommand": "set-user-status", "status": "away"})
        browser.wait_for("document.querySelector('#user-status').textContent === 'Status: away'")
        assert details(browser, "user-status-manually-set") == [
            announced("busy", descriptor),
            announced("away", descriptor),
        ]
        assert [e["how"] for e in rc.events("user-status")] == ["menu", "command"]


def test_alert_only_rooms_are_only_in_the_subscription_events_since_7_8(browser: QtBrowser) -> None:
    with Sandbox(make_config(version="7.8.0")) as rc:
        signed_in_page(browser, rc)
        rc.post_message("alice", "@here standup", sender="bob", room="team", alert_only=True)
        browser.wait_for(
            "window.__seen.some(function (e) { return e.type === 'unread-changed-by-subscription'; })",
            timeout=5,
        )
        [sub] = details(browser, "unread-changed-by-subscription")
        assert sub["rid"] == "sandbox-team" and sub["alert"] is True and sub["unread"] == 0
        assert details(browser, "unread-changed") == [0]  # the count leaves the alert-only room out

        rc.post_message("alice", "hello", sender="bob", room="dev")
        browser.wait_for(
            "window.__seen.filter(function (e) { return e.type === 'unread-changed'; }).length === 2"
        )
        assert details(browser, "unread-changed") == [0, 1]
        subs = details(browser, "unread-changed-by-subscription")
        assert [(s["rid"], s["unread"], s["alert"]) for s in subs] == [
            ("sandbox-team", 0, True),
            ("sandbox-dev", 1, True),
        ]

        browser.eval("document.querySelector('#mark-read').click()")
        browser.wait_for(
            "window.__seen.filter(function (e) { return e.type === 'unread-changed'; }).length === 3"
        )
        subs = details(browser, "unread-changed-by-subscription")
        assert {(s["rid"], s["unread"], s["alert"]) for s in subs[2:]} == {
            ("sandbox-team", 0, False),
            ("sandbox-dev", 0, False),
        }


def test_before_7_8_an_alert_only_room_makes_the_unread_value_a_dot(browser: QtBrowser) -> None:
    with Sandbox(make_config(version="6.13.0")) as rc:
        signed_in_page(browser, rc)
        assert details(browser, "unread-changed") == [""]
        rc.post_message("alice", "@here standup", sender="bob", room="team", alert_only=True)
        browser.wait_for(
            "window.__seen.filter(function (e) { return e.type === 'unread-changed'; }).length === 2"
        )
        assert details(browser, "unread-changed") == ["", "•"]
        rc.post_message("alice", "hello", sender="bob", room="dev")
        browser.wait_for(
            "window.__seen.filter(function (e) { return e.type === 'unread-changed'; }).length === 3"
        )
        assert details(browser, "unread-changed")[2] == 1


def test_side_door_takes_alert_only_and_refuses_a_non_boolean() -> None:
    with Sandbox(make_config()) as rc, httpx.Client(base_url=rc.url, timeout=10) as http:
        ok = http.post("/sandbox/messages", json={"username": "alice", "text": "x", "alert_only": True})
        assert ok.status_code == 200
        bad = http.post("/sandbox/messages", json={"username": "alice", "text": "x", "alert_only": "yes"})
        assert bad.status_code == 400 and "alert_only" in bad.json()["error"]
        user = rc.state.store.by_username("alice")
        assert user is not None and rc.state.store.subscriptions(user) == [
            {"rid": "sandbox-general", "name": "general", "unread": 0, "alert": True}
        ]


def test_under_a_path_prefix_everything_is_served_below_it_and_storage_keys_are_namespaced(
    browser: QtBrowser,
) -> None:
    settings = {"Iframe_Integration_receive_enable": True}
    with Sandbox(make_config(path_prefix="/chat", settings=settings)) as rc:
        assert rc.url == rc.origin + "/chat"
        with httpx.Client(timeout=10) as http:
            assert http.get(rc.url + "/api/info").status_code == 200
            assert http.get(rc.origin + "/api/info").status_code == 404
            assert http.get(rc.origin + "/home").status_code == 404
        user_id, token = rc.login_token("alice")
        browser.open(rc.url + "/home")
        browser.wait_for(STARTED)
        assert browser.eval(LOGGED_OUT)
        post_command(browser, rc.origin, {"externalCommand": "login-with-token", "token": token})
        browser.wait_for(LOGGED_IN)
        suffix = f":{rc.origin}/chat/:/chat"
        stored = browser.eval(
            f"[localStorage.getItem('Meteor.loginToken{suffix}'), localStorage.getItem('Meteor.userId{suffix}'),"
            " localStorage.getItem('Meteor.loginToken')]"
        )
        assert stored == [token, user_id, None]
        post_command(browser, rc.origin, {"externalCommand": "go", "path": "/channel/general"})
        browser.wait_for("location.pathname === '/chat/channel/general'")
        assert wait_until(lambda: rc.events("navigated"))[0]["path"] == "/channel/general"
        assert browser.eval("document.querySelector('#route').textContent") == "Route: /channel/general"
        # A reload resumes from the namespaced keys.
        browser.open(rc.url + "/home")
        browser.wait_for(LOGGED_IN)
        assert [e["method"] for e in rc.events("login")][-1] == "resume"


def test_path_prefix_must_look_like_a_path() -> None:
    for bad in ("chat", "/chat/", "/ch at", "/chat?x=1"):
        with pytest.raises(ConfigError, match="path_prefix"):
            SandboxConfig(path_prefix=bad)
