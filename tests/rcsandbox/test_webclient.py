"""The web client in a real Qt WebEngine page (the `browser` fixture): start race, origin rules, logins.

See docs/rocketchat-contract.md: the iframe login command and its startup race, the events, Accounts
iframe SSO, the resume token link and the Meteor storage keys.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from rcsandbox import Sandbox
from tests.support.browser import QtBrowser

from .conftest import auth_headers, make_config, wait_until

pytestmark = pytest.mark.window

# Recorded from document creation on, before any page script: every CustomEvent the client fires and
# every {eventName} message it posts to `parent` (= window in a top-level page).
RECORDER = """
window.__seen = [];
['startup', 'Custom_Script_Logged_In', 'Custom_Script_Logged_Out', 'unread-changed', 'notification']
  .forEach(function (name) {
    window.addEventListener(name, function (e) { window.__seen.push({type: name, detail: e.detail}); });
  });
window.__posted = [];
window.addEventListener('message', function (e) {
  if (e.data && typeof e.data === 'object' && 'eventName' in e.data) { window.__posted.push(e.data); }
});
"""
STARTED = "document.documentElement.dataset.client === 'started' && !!document.body.dataset.state"
LOGGED_IN = "document.body.dataset.state === 'logged-in'"
LOGGED_OUT = "document.body.dataset.state === 'logged-out'"


def post_command(browser: QtBrowser, origin: str, command: dict) -> str:
    """postMessage from inside the page (event.origin = the page's own origin); returns the client state."""
    return browser.eval(
        f"window.postMessage({json.dumps(command)}, {json.dumps(origin)}); document.documentElement.dataset.client"
    )


def seen(browser: QtBrowser, name: str) -> list:
    return browser.eval(f"window.__seen.filter(function (e) {{ return e.type === {json.dumps(name)}; }})")


@pytest.fixture
def receiving() -> Iterator[Sandbox]:
    """Receive enabled for any origin, the client starting 2.5 s after the page loads."""
    config = make_config(
        client_start_delay=2.5,
        settings={"Iframe_Integration_receive_enable": True, "Iframe_Integration_receive_origin": "*"},
    )
    with Sandbox(config) as rc:
        yield rc


def test_page_says_it_is_a_stand_in_and_starts_after_the_delay(
    receiving: Sandbox, browser: QtBrowser
) -> None:
    browser.add_init_script(RECORDER)
    browser.open(receiving.url + "/home")
    assert browser.eval("document.documentElement.dataset.client") == "loading"
    assert browser.eval("typeof window.__seen") == "object" and seen(browser, "startup") == []
    assert browser.eval("document.title") == "Chat sandbox"
    assert "Rocket.Chat stand-in for tests" in browser.eval("document.body.innerText")
    browser.wait_for(STARTED, timeout=10)
    assert [e["detail"] for e in seen(browser, "startup")] == [True]
    assert browser.eval(LOGGED_OUT) and browser.eval("!!document.querySelector('#login-form')")


def test_login_with_token_before_start_is_lost_and_after_start_logs_in(
    receiving: Sandbox, browser: QtBrowser
) -> None:
    browser.add_init_script(RECORDER)
    user_id, token = receiving.login_token("alice")
    command = {"externalCommand": "login-with-token", "token": token}
    browser.open(receiving.url + "/home")
    assert post_command(browser, receiving.origin, command) == "loading"
    browser.wait_for(STARTED, timeout=10)
    assert browser.eval(LOGGED_OUT)
    assert receiving.events("login") == []

    assert post_command(browser, receiving.origin, command) == "started"
    browser.wait_for(LOGGED_IN, timeout=10)
    assert browser.eval("document.querySelector('#user-name').textContent") == "Alice Doe"
    stored = browser.eval(
        "[localStorage.getItem('Meteor.loginToken'), localStorage.getItem('Meteor.userId'),"
        " localStorage.getItem('Meteor.loginTokenExpires')]"
    )
    assert stored[:2] == [token, user_id] and stored[2]
    assert browser.eval("new Date(localStorage.getItem('Meteor.loginTokenExpires')) > new Date()")
    cookies = browser.eval("document.cookie")
    assert f"rc_uid={user_id}" in cookies and "rc_token=" in cookies
    assert len(seen(browser, "Custom_Script_Logged_In")) == 1
    browser.wait_for(
        "window.__seen.some(function (e) { return e.type === 'unread-changed' && e.detail === 0; })"
    )
    [login] = receiving.events("login")
    assert login["method"] == "iframe-command" and login["username"] == "alice" and login["client"] == "web"
    # Send is off by default: nothing was posted to parent.
    assert browser.eval("window.__posted.length") == 0


@pytest.mark.parametrize(
    "allowed",
    ["https://x.example", "*,https://x.example", "https://x.example, {origin}", "{origin}/"],
    ids=["wrong-origin", "star-in-list", "space-after-comma", "trailing-slash"],
)
def test_origin_rules_refuse_the_command(browser: QtBrowser, allowed: str) -> None:
    with Sandbox(make_config(client_start_delay=0.0)) as rc:
        rc.set_setting("Iframe_Integration_receive_enable", True)
        rc.set_setting("Iframe_Integration_receive_origin", allowed.format(origin=rc.origin))
        _, token = rc.login_token("alice")
        browser.open(rc.url + "/home")
        browser.wait_for(STARTED)
        post_command(browser, rc.origin, {"externalCommand": "login-with-token", "token": token})
        [event] = wait_until(lambda: rc.events("origin-rejected"), what="the origin-rejected report")
        assert event["origin"] == rc.origin and event["command"] == "login-with-token"
        errors = [m["message"] for m in browser.console() if m["level"] == "error"]
        assert any(m.startswith("Origin not allowed") for m in errors)
        assert token not in json.dumps(browser.console())
        assert browser.eval(LOGGED_OUT) and rc.events("login") == []


def test_exact_origin_in_a_list_is_accepted(browser: QtBrowser) -> None:
    with Sandbox(make_config(client_start_delay=0.0)) as rc:
        rc.set_setting("Iframe_Integration_receive_enable", True)
        rc.set_setting("Iframe_Integration_receive_origin", f"https://x.example,{rc.origin}")
        _, token = rc.login_token("alice")
        browser.open(rc.url + "/")
        browser.wait_for(STARTED)
        post_command(browser, rc.origin, {"externalCommand": "login-with-token", "token": token})
        browser.wait_for(LOGGED_IN)


def test_json_string_and_unknown_commands_are_refused(receiving: Sandbox, browser: QtBrowser) -> None:
    receiving.set_client_start_delay(0.0)
    _, token = receiving.login_token("alice")
    browser.open(receiving.url + "/home")
    browser.wait_for(STARTED)
    as_string = json.dumps({"externalCommand": "login-with-token", "token": token})
    browser.eval(f"window.postMessage({json.dumps(as_string)}, {json.dumps(receiving.origin)})")
    post_command(browser, receiving.origin, {"externalCommand": "set-toolbar-button", "id": "x"})
    events = wait_until(
        lambda: len(receiving.events("command-rejected")) == 2 and receiving.events("command-rejected")
    )
    assert {e.get("reason") for e in events} == {"not-an-object", "unknown-command"}
    errors = [m["message"] for m in browser.console() if m["level"] == "error"]
    assert any(m.startswith("Command not allowed") for m in errors)
    assert browser.eval(LOGGED_OUT) and receiving.events("login") == []


def test_no_listener_when_receive_is_disabled(browser: QtBrowser) -> None:
    with Sandbox(make_config(client_start_delay=0.0)) as rc:
        _, token = rc.login_token("alice")
        browser.open(rc.url + "/home")
        browser.wait_for(STARTED)
        post_command(browser, rc.origin, {"externalCommand": "no-such-command"})
        post_command(browser, rc.origin, {"externalCommand": "login-with-token", "token": token})
        # The unknown command would be reported if a listener existed; a login would follow the valid one.
        # Proof of absence: a later, observable step (a password login) completes while neither happened.
        browser.eval("document.querySelector('#username').value = 'bob'")
        browser.eval("document.querySelector('#password').value = 'bob-pw'")
        browser.eval("document.querySelector('#login-button').click()")
        browser.wait_for(LOGGED_IN)
        assert [e["method"] for e in rc.events("login")] == ["password"]
        assert rc.events("command-rejected") == []


def test_resume_token_in_url_logs_in_and_disappears(browser: QtBrowser) -> None:
    with Sandbox(make_config(client_start_delay=0.0)) as rc:
        user_id, token = rc.login_token("alice")
        browser.open(f"{rc.url}/home?keep=1&resumeToken={token}&userId={user_id}")
        browser.wait_for(LOGGED_IN)
        browser.wait_for("location.search === '?keep=1'")
        url = browser.url()
        assert token not in url and "userId" not in url and urlsplit(url).path == "/home"
        assert parse_qs(urlsplit(url).query) == {"keep": ["1"]}
        assert [e["method"] for e in rc.events("login")] == ["resume-token-url"]


def test_bad_resume_token_in_url_clears_the_stored_login(browser: QtBrowser) -> None:
    with Sandbox(make_config(client_start_delay=0.0)) as rc:
        browser.open(rc.url + "/home")
        browser.wait_for(STARTED)
        browser.eval("document.querySelector('#username').value = 'alice'")
        browser.eval("document.querySelector('#password').value = 'alice-pw'")
        browser.eval("document.querySelector('#login-button').click()")
        browser.wait_for(LOGGED_IN)
        browser.open(rc.url + "/home?resumeToken=" + "x" * 43)
        browser.wait_for("location.search === ''")
        # The failure unstored the stored token. Meteor's _unstoreLoginToken also resets the
        # poller's memory, so this page stays logged in until the next load, which then is logged out.
        browser.wait_for("localStorage.getItem('Meteor.loginToken') === null")
        assert any("Failed to login with token" in m["message"] for m in browser.console())
        assert rc.events("login-failed")[-1]["method"] == "resume-token-url"
        browser.open(rc.url + "/home")
        browser.wait_for(STARTED)
        assert browser.eval(LOGGED_OUT)


def test_wrong_password_shows_the_error(browser: QtBrowser) -> None:
    with Sandbox(make_config(client_start_delay=0.0)) as rc:
        browser.open(rc.url + "/")
        browser.wait_for(STARTED)
        browser.eval("document.querySelector('#username').value = 'alice'")
        browser.eval("document.querySelector('#password').value = 'nope'")
        browser.eval("document.querySelector('#login-button').click()")
        assert (
            browser.wait_for("document.querySelector('#login-error').textContent")
            == "Unauthorized [Unauthorized]"
        )
        assert browser.eval(LOGGED_OUT)


def test_stored_token_resumes_on_reload_and_logout_command_logs_out(
    receiving: Sandbox, browser: QtBrowser
) -> None:
    receiving.set_client_start_delay(0.0)
    browser.add_init_script(RECORDER)
    user_id, token = receiving.login_token("alice")
    browser.open(receiving.url + "/home")
    browser.wait_for(STARTED)
    browser.eval(
        f"localStorage.setItem('Meteor.loginToken', {json.dumps(token)});"
        f"localStorage.setItem('Meteor.userId', {json.dumps(user_id)})"
    )
    browser.open(receiving.url + "/home")
    browser.wait_for(LOGGED_IN)
    assert receiving.events("login")[-1]["method"] == "resume"

    post_command(browser, receiving.origin, {"externalCommand": "logout"})
    browser.wait_for(LOGGED_OUT)
    assert browser.eval("localStorage.getItem('Meteor.loginToken')") is None
    assert "rc_token" not in browser.eval("document.cookie")
    assert len(seen(browser, "Custom_Script_Logged_Out")) == 1
    assert browser.eval("location.pathname") == "/home"
    me = httpx.get(receiving.url + "/api/v1/me", headers=auth_headers(user_id, token))
    assert me.status_code == 401  # the page's logout removed the token on the server
    assert receiving.events("logout")[-1]["username"] == "alice"


def test_storage_is_polled_like_meteor(browser: QtBrowser) -> None:
    with Sandbox(make_config(client_start_delay=0.0)) as rc:
        user_id, token = rc.login_token("bob")
        browser.open(rc.url + "/home")
        browser.wait_for(STARTED)
        browser.eval(
            f"localStorage.setItem('Meteor.userId', {json.dumps(user_id)});"
            f"localStorage.setItem('Meteor.loginToken', {json.dumps(token)})"
        )
        browser.wait_for(LOGGED_IN, timeout=8)
        assert browser.eval("document.querySelector('#user-name').textContent") == "Bob Roe"
        browser.eval("localStorage.removeItem('Meteor.loginToken')")
        browser.wait_for(LOGGED_OUT, timeout=8)


def test_expired_stored_token_is_dropped_on_reload(browser: QtBrowser) -> None:
    with Sandbox(make_config(client_start_delay=0.0)) as rc:
        _, token = rc.login_token("alice")
        browser.open(f"{rc.url}/home?resumeToken={token}")
        browser.wait_for(LOGGED_IN)
        rc.expire_tokens("alice")
        browser.open(rc.url + "/home")
        # Optimistically "connecting" at start, until the server refuses the stored token.
        browser.wait_for(LOGGED_OUT)
        assert browser.eval("localStorage.getItem('Meteor.loginToken')") is None
        assert rc.events("login-failed")[-1]["reason"] == "Your session has expired. Please log in again."


def test_messages_fire_unread_changed_and_notification_and_post_to_parent(browser: QtBrowser) -> None:
    settings = {"Iframe_Integration_send_enable": True, "Iframe_Integration_send_target_origin": "*"}
    with Sandbox(make_config(client_start_delay=0.0, settings=settings)) as rc:
        browser.add_init_script(RECORDER)
        _, token = rc.login_token("alice")
        browser.open(f"{rc.url}/home?resumeToken={token}")
        browser.wait_for(LOGGED_IN)
        browser.wait_for("window.__seen.some(function (e) { return e.type === 'unread-changed'; })")
        rc.post_message("alice", "hello there", sender="bob", room="dev")
        browser.wait_for("window.__seen.some(function (e) { return e.type === 'notification'; })", timeout=5)
        [note] = seen(browser, "notification")
        assert note["detail"]["fromOpenedRoom"] is False and isinstance(note["detail"]["hasFocus"], bool)
        payload = note["detail"]["notification"]["payload"]
        assert (
            payload["rid"]
            and payload["sender"]["username"] == "bob"
            and payload["message"]["msg"] == "hello there"
        )
        browser.wait_for("document.title === '(1) Chat sandbox'")
        unread = [e["detail"] for e in seen(browser, "unread-changed")]
        assert unread == [0, 1]
        posted = browser.wait_for("window.__posted.length >= 4 && window.__posted")
        names = [p["eventName"] for p in posted]
        assert {"startup", "Custom_Script_Logged_In", "unread-changed", "notification"} <= set(names)
        assert {"eventName": "unread-changed", "data": 1} in posted
        browser.eval("document.querySelector('#mark-read').click()")
        browser.wait_for("document.title === 'Chat sandbox'")


def test_go_and_set_user_status_commands(receiving: Sandbox, browser: QtBrowser) -> None:
    receiving.set_client_start_delay(0.0)
    _, token = receiving.login_token("alice")
    browser.open(f"{receiving.url}/home?resumeToken={token}")
    browser.wait_for(LOGGED_IN)
    browser.wait_for("location.search === ''")
    post_command(browser, receiving.origin, {"externalCommand": "go", "path": "/channel/general?msg=1"})
    browser.wait_for("location.pathname === '/channel/general' && location.search === '?msg=1'")
    post_command(browser, receiving.origin, {"externalCommand": "set-user-status", "status": "away"})
    browser.wait_for("document.querySelector('#user-status').textContent === 'Status: away'")
    assert wait_until(lambda: receiving.events("user-status"))[0]["status"] == "away"
