"""The window never stays on another person's account. Real window, real keyring, the stand-in over HTTP.

A script in Rocket.Chat's page (an admin's custom script, an XSS) or a frame Rocket.Chat's Receive Origins
admits can log the page in with a token of its own choosing: `login-with-token` posted to the page. The
page then shows the attacker's account in the employee's window, and whatever the employee types goes to
it. The launcher must notice that the page's user is no longer the employee's and sign the employee in
again; a page that keeps switching ends on an error page, never on the other account.
"""

from __future__ import annotations

import json

import pytest

from rcsandbox import SandboxUser
from tests.support.launcher_runs import Launcher, LiveRun

pytestmark = pytest.mark.window

MALLORY = SandboxUser(
    username="mallory", password="mallory-throwaway-pw", name="Mallory", email="m@example.com", roles=["user"]
)

# Posts the other account's token to the page itself, as Rocket.Chat's iframe integration receives it.
# `times` bounds how often (across documents: a reload runs the custom script again).
_SWITCH_SCRIPT = """
var n = Number(localStorage.getItem('switched') || '0');
if (n < __TIMES__ && localStorage.getItem('Meteor.userId') !== __MALLORY_ID__) {
  localStorage.setItem('switched', String(n + 1));
  setTimeout(function () {
    window.postMessage({externalCommand: 'login-with-token', token: __TOKEN__}, location.origin);
  }, 300);
}
"""


def _switching(launcher: Launcher, times: int) -> str:
    """Mallory's account in the stand-in, and a custom script that logs the page in as Mallory `times`
    times; Mallory's user id."""
    sandbox = launcher.stack.sandbox
    sandbox.add_user(MALLORY)
    mallory_id, token = sandbox.login_token(MALLORY.username)
    script = (
        _SWITCH_SCRIPT.replace("__TIMES__", str(times))
        .replace("__MALLORY_ID__", json.dumps(mallory_id))
        .replace("__TOKEN__", json.dumps(token))
    )
    sandbox.set_setting("Custom_Script_Logged_In", script)
    return mallory_id


def _page_user(live: LiveRun) -> str | None:
    return live.command("facts")["page"].get("meteorUserId")


def test_a_page_switched_to_another_account_is_signed_in_as_the_employee_again(make_launcher):
    launcher = make_launcher()
    launcher.sign_in_with_form()
    alice_id = launcher.stack.sandbox.user_id("alice")
    mallory_id = _switching(launcher, times=1)

    live = launcher.start(plan={"timeout": 120})
    live.wait_signed_in()
    sandbox = launcher.stack.sandbox
    live.wait_facts(lambda f: any(e.get("user_id") == mallory_id for e in sandbox.events(kind="login")), 30)
    facts = live.wait_facts(
        lambda f: f.get("state") == "signed-in" and f["page"].get("meteorUserId") == alice_id, 60
    )
    assert facts["page"]["cover"] is False
    logins = [e.get("user_id") for e in sandbox.events(kind="login")]
    assert logins.index(mallory_id) < len(logins) - 1 and logins[-1] == alice_id, logins
    # ...and it stays there: the custom script ran again on the employee's login, and switched no more.
    assert _page_user(live) == alice_id
    assert live.finish().returncode == 0


def test_a_page_that_keeps_switching_accounts_ends_on_an_error_page_not_on_the_other_account(make_launcher):
    launcher = make_launcher()
    launcher.sign_in_with_form()
    mallory_id = _switching(launcher, times=50)

    live = launcher.start(plan={"timeout": 180})
    facts = live.wait_facts(
        lambda f: f.get("state") == "error" and "another account" in f["page"]["text"], 150
    )
    assert "switched to another account 4 times" in facts["page"]["text"], facts["page"]["text"]
    assert facts["page"]["origin"] != launcher.stack.sandbox.origin  # the launcher's own page, not Mallory's
    assert any(e.get("user_id") == mallory_id for e in launcher.stack.sandbox.events(kind="login"))
    assert live.finish().returncode == 0
