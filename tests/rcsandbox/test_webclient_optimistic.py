"""The optimistic user id at page start, in a real Qt WebEngine page (docs/rocketchat-contract.md#optimistic-login).

With a stored token and user id the page fires `Custom_Script_Logged_In` before the server answered the resume
login (the sandbox's `resume_delay` keeps that answer back), then either confirms the session (keys rewritten,
no second event) or takes it back (keys removed, `Custom_Script_Logged_Out`, login form).
"""

from __future__ import annotations

import json

import httpx
import pytest

from rcsandbox import Sandbox
from tests.support.browser import QtBrowser

from .conftest import auth_headers, make_config

pytestmark = pytest.mark.window

# From document creation on: the login events, and every setItem/removeItem on localStorage (key only).
RECORDER = """
window.__seen = [];
['Custom_Script_Logged_In', 'Custom_Script_Logged_Out'].forEach(function (name) {
  window.addEventListener(name, function () { window.__seen.push(name); });
});
window.__sets = []; window.__removes = [];
var setItem = Storage.prototype.setItem, removeItem = Storage.prototype.removeItem;
Storage.prototype.setItem = function (key) { window.__sets.push(key); return setItem.apply(this, arguments); };
Storage.prototype.removeItem = function (key) { window.__removes.push(key); return removeItem.apply(this, arguments); };
"""
KEYS = {"Meteor.loginToken", "Meteor.userId", "Meteor.loginTokenExpires"}
LOGGED_IN = "document.body.dataset.state === 'logged-in'"
LOGGED_OUT = "document.body.dataset.state === 'logged-out'"


def _store(browser: QtBrowser, rc: Sandbox, user_id: str, token: str) -> None:
    """Put a login into the origin's storage (as an earlier session left it), from a page without the client."""
    browser.open(rc.url + "/static/style.css")
    browser.eval(
        f"localStorage.setItem('Meteor.userId', {json.dumps(user_id)});"
        f"localStorage.setItem('Meteor.loginToken', {json.dumps(token)})"
    )


def test_stored_login_fires_logged_in_before_the_server_answers_then_rewrites_the_keys(
    browser: QtBrowser,
) -> None:
    with Sandbox(make_config(resume_delay=2.0)) as rc:
        user_id, token = rc.login_token("alice")
        _store(browser, rc, user_id, token)
        browser.add_init_script(RECORDER)
        browser.open(rc.url + "/home")
        browser.wait_for("window.__seen.indexOf('Custom_Script_Logged_In') > -1", timeout=5)
        # The server holds the resume answer back for 2 s: nothing accepted yet, the page says so.
        assert rc.events("login") == []
        assert browser.eval("document.body.dataset.state") == "connecting"
        assert browser.eval("!!document.querySelector('#connecting')")
        assert browser.eval("__sets.filter(function (k) { return k.indexOf('Meteor.') === 0; })") == []
        browser.wait_for(LOGGED_IN, timeout=10)
        assert [e["method"] for e in rc.events("login")] == ["resume"]
        assert set(browser.eval("window.__sets")) >= KEYS
        assert browser.eval("window.__seen") == ["Custom_Script_Logged_In"]
        assert browser.eval("localStorage.getItem('Meteor.loginToken')") == token


def test_refused_stored_login_takes_the_optimistic_user_back(browser: QtBrowser) -> None:
    with Sandbox(make_config(resume_delay=1.0)) as rc:
        user_id, token = rc.login_token("alice")
        _store(browser, rc, user_id, token)
        # The token dies on the server while the page is closed.
        assert httpx.post(rc.url + "/api/v1/logout", headers=auth_headers(user_id, token)).status_code == 200
        browser.add_init_script(RECORDER)
        browser.open(rc.url + "/home")
        browser.wait_for("window.__seen.length > 0", timeout=5)
        assert browser.eval("document.body.dataset.state") == "connecting"
        browser.wait_for(LOGGED_OUT, timeout=10)
        assert browser.eval("window.__seen") == ["Custom_Script_Logged_In", "Custom_Script_Logged_Out"]
        assert set(browser.eval("window.__removes")) >= KEYS
        assert browser.eval("localStorage.getItem('Meteor.loginToken')") is None
        assert browser.eval("!!document.querySelector('#login-form')")
        assert rc.events("login-failed")[-1]["method"] == "resume"


def test_link_and_command_logins_rewrite_the_keys_without_a_second_logged_in(browser: QtBrowser) -> None:
    settings = {"Iframe_Integration_receive_enable": True, "Iframe_Integration_receive_origin": "*"}
    with Sandbox(make_config(settings=settings)) as rc:
        user_id, token = rc.login_token("alice")
        _store(browser, rc, user_id, token)
        browser.add_init_script(RECORDER)
        # Same token in the link as in storage: still written again after the server accepted it.
        browser.open(f"{rc.url}/home?resumeToken={token}")
        browser.wait_for(LOGGED_IN)
        browser.wait_for("location.search === '' && window.__sets.length >= 6", timeout=5)
        link_sets = browser.eval("window.__sets")
        assert sorted(link_sets) == sorted([*KEYS, *KEYS])  # the start's resume and the link's
        _, second = rc.login_token("alice")
        command = {"externalCommand": "login-with-token", "token": second}
        browser.eval(f"window.postMessage({json.dumps(command)}, {json.dumps(rc.origin)})")
        browser.wait_for(f"localStorage.getItem('Meteor.loginToken') === {json.dumps(second)}")
        assert set(browser.eval(f"window.__sets.slice({len(link_sets)})")) == KEYS
        assert browser.eval("window.__seen") == ["Custom_Script_Logged_In"]
        # One after another, as DDP answers one connection's login methods.
        assert [e["method"] for e in rc.events("login")] == ["resume", "resume-token-url", "iframe-command"]
