"""The injected sign-in script in a real Qt WebEngine page (tests/support/browser.py): it posts the token
only inside Rocket.Chat's origin, to that origin, and reads Rocket.Chat's own signed-in state."""

from __future__ import annotations

import pytest

from launcher.window.injection import cover_script, login_tick

pytestmark = pytest.mark.window

_RECORD_MESSAGES = (
    "window.__messages = [];"
    "window.addEventListener('message', function (e) {"
    "  window.__messages.push({origin: e.origin, data: e.data}); });"
)


def test_the_token_is_never_posted_in_another_origin(browser, sandbox, other_origin):
    browser.add_init_script(_RECORD_MESSAGES)
    browser.open(other_origin.url + "/page")

    state = browser.eval(login_tick(sandbox.origin, "secret-token", "uid", True))

    assert state == {"origin": other_origin.url, "onRocketChat": False}
    assert browser.eval("window.__messages.length") == 0
    assert browser.eval("typeof window.__rcLauncherPoster") == "undefined"  # no poster started here
    assert "secret-token" not in str(browser.eval("document.documentElement.outerHTML"))


def test_in_rocketchat_the_command_goes_to_its_own_origin_and_the_login_is_seen(browser, sandbox):
    user_id, token = sandbox.login_token("alice")
    browser.add_init_script(_RECORD_MESSAGES)
    browser.add_init_script(cover_script(sandbox.origin, "Example", cover=True))
    browser.open(sandbox.url + "/home")

    first = browser.eval(login_tick(sandbox.origin, token, user_id, True))
    assert first["onRocketChat"] is True and first["posted"] is True and first["signedIn"] is False
    assert first["cover"] is True
    message = browser.wait_for("window.__messages[0]")
    assert message == {
        "origin": sandbox.origin,
        "data": {"externalCommand": "login-with-token", "token": token},
    }

    # keep posting, as the launcher does, until Rocket.Chat's late client signs in and says so
    browser.wait_for(f"({login_tick(sandbox.origin, token, user_id, True)}).signedIn", timeout=15)
    final = browser.eval(login_tick(sandbox.origin, token, user_id, True))
    assert final["event"] is True and final["userMatches"] is True and final["posted"] is False


def test_the_in_page_poster_posts_again_at_startup_to_rocketchat_only_and_stops_once_signed_in(
    browser, sandbox
):
    user_id, token = sandbox.login_token("alice")
    browser.add_init_script(_RECORD_MESSAGES)
    browser.add_init_script(cover_script(sandbox.origin, "Example", cover=True))
    browser.open(sandbox.url + "/home")
    assert browser.eval("window.__rcLauncher.startedUp") is False  # Rocket.Chat's client starts late

    first = browser.eval(login_tick(sandbox.origin, token, user_id, True, attempt="1"))
    assert first["posted"] is True and first["posting"] is True and first["signedIn"] is False
    again = browser.eval(login_tick(sandbox.origin, token, user_id, True, attempt="1"))
    assert again["posted"] is False and again["posting"] is True  # one poster per attempt and document

    # no more ticks from outside: the page's own poster signs it in once Rocket.Chat listens
    browser.wait_for("window.__rcLauncher.loggedIn === true", timeout=15)
    browser.wait_for("window.__rcLauncherPoster.stopped === true", timeout=5)
    assert browser.eval("window.__rcLauncher.startedUp") is True
    command = {"externalCommand": "login-with-token", "token": token}
    messages = browser.eval("window.__messages")
    assert messages and all(m == {"origin": sandbox.origin, "data": command} for m in messages)
    logins = [e for e in sandbox.events(kind="login") if e.get("method") == "iframe-command"]
    # posted before Rocket.Chat listened (lost), once right at its startup, then only every 2 s
    assert 1 <= len(logins) <= 2, logins
    assert "token" not in str(browser.eval("Object.keys(window.__rcLauncherPoster)"))


def test_desktop_script_keeps_rocketchat_events_for_the_launcher_only_in_its_origin(
    browser, sandbox, other_origin
):
    from launcher.window.injection import desktop_drain, desktop_script

    browser.add_init_script(desktop_script(sandbox.origin))
    browser.open(sandbox.url + "/home")
    browser.eval(
        "window.dispatchEvent(new CustomEvent('unread-changed', {detail: '999+'}));"
        "window.dispatchEvent(new CustomEvent('notification', {detail: {notification: {title: 'bob',"
        " text: 'hi', payload: {rid: 'R', type: 'c', name: 'general', secret: 'not copied'}},"
        " fromOpenedRoom: false, hasFocus: true}}));"
        "window.dispatchEvent(new CustomEvent('user-status-manually-set', {detail: {id: 'busy', name: 'Busy',"
        " statusType: 'busy', localizeName: true}})); true"
    )
    first = browser.eval(desktop_drain(sandbox.origin))
    assert first["unread"] == "999+" and first["unreadSeen"] is True and first["status"] == "busy"
    assert first["notifications"] == [
        {
            "notification": {
                "title": "bob",
                "text": "hi",
                "payload": {"rid": "R", "type": "c", "name": "general"},
            },
            "fromOpenedRoom": False,
            "hasFocus": True,
        }
    ]
    assert browser.eval(desktop_drain(sandbox.origin))["notifications"] == []  # drained once

    browser.open(other_origin.url + "/page")  # the script does nothing anywhere else
    assert browser.eval(desktop_drain(sandbox.origin)) == {"origin": other_origin.url}
    assert browser.eval("typeof window.__rcLauncherDesktop") == "undefined"
