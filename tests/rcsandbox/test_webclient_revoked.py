"""A page whose sessions an admin ends, in a real Qt WebEngine page: it notices at its next update poll."""

from __future__ import annotations

import pytest

from rcsandbox import Sandbox
from tests.support.browser import QtBrowser

from .conftest import make_config

pytestmark = pytest.mark.window

RECORDER = """
window.__seen = [];
['Custom_Script_Logged_In', 'Custom_Script_Logged_Out'].forEach(function (name) {
  window.addEventListener(name, function () { window.__seen.push(name); });
});
"""
LOGGED_IN = "document.body.dataset.state === 'logged-in'"
LOGGED_OUT = "document.body.dataset.state === 'logged-out'"


@pytest.mark.parametrize("how", ["revoke", "password"])
def test_ended_sessions_log_the_page_out(browser: QtBrowser, how: str) -> None:
    with Sandbox(make_config()) as rc:
        _, token = rc.login_token("alice")
        browser.add_init_script(RECORDER)
        browser.open(f"{rc.url}/home?resumeToken={token}")
        browser.wait_for(LOGGED_IN)
        browser.wait_for("localStorage.getItem('Meteor.loginToken') !== null")
        if how == "revoke":
            rc.revoke_sessions("alice")
        else:
            rc.change_password("alice", "changed-pw")
        browser.wait_for(LOGGED_OUT, timeout=5)
        assert browser.eval("window.__seen") == ["Custom_Script_Logged_In", "Custom_Script_Logged_Out"]
        assert browser.eval("localStorage.getItem('Meteor.loginToken')") is None
        assert browser.eval("!!document.querySelector('#login-form')")
