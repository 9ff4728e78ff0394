"""Sign-in that holds on servers as Rocket.Chat really behaves: a web client that takes ten seconds to
start, a session Rocket.Chat drops while the window is open. Real window, real keyring, the stand-in."""

from __future__ import annotations

import httpx
import pytest

from launcher.signin.credentials import CredentialStore
from tests.support.launcher_runs import ALICE

pytestmark = [pytest.mark.gui, pytest.mark.keyring]

TEN_SECONDS = 10.0
RECEIVE_ON = {"Iframe_Integration_receive_enable": True}


@pytest.mark.parametrize(
    ("rc_settings", "path"),
    [({"Iframe_Integration_receive_enable": False}, "resume-token"), (RECEIVE_ON, "iframe-command")],
    ids=["resume-token-link", "iframe-command"],
)
def test_a_ten_second_client_start_signs_in_with_no_error_page(make_launcher, rc_settings, path):
    """A real client downloads megabytes of scripts before it runs: a page still loading is not late."""
    launcher = make_launcher(rc_settings=rc_settings, client_start_delay=TEN_SECONDS)

    run = launcher.sign_in_with_form()

    assert run.states[-1] == "signed-in", run.explain()
    assert "error" not in run.states, run.explain()
    assert run.entry("signed-in")["info"]["path"] == path
    assert run.timeline["login_path_first"] == path
    assert run.entry("signing-in")["cover"] is True
    assert run.entry("signed-in")["coverShownMs"] >= TEN_SECONDS * 1000  # it waited the start out
    assert run.entry("signed-in")["meteorUserId"] == launcher.stack.sandbox.user_id(ALICE.username)


def test_a_session_rocketchat_drops_while_running_is_signed_in_again_without_a_prompt(make_launcher):
    """Rocket.Chat ends the page's session (here its token is logged out at the server, as an admin or a
    password change would): the page falls to its login form, and the launcher signs it in again."""
    launcher = make_launcher(rc_settings=RECEIVE_ON)
    launcher.sign_in_with_form()
    sandbox = launcher.stack.sandbox
    live = launcher.start()
    live.wait_signed_in()
    logins_before = len(sandbox.events(kind="login"))
    token = CredentialStore(launcher.paths.keyring_namespace).load_token(launcher.stack.rocketchat_url)
    assert token is not None

    httpx.post(
        f"{sandbox.url}/api/v1/logout", headers={"X-User-Id": token.user_id, "X-Auth-Token": token.auth_token}
    ).raise_for_status()

    facts = live.wait_facts(
        lambda f: f["state"] == "signed-in" and len(sandbox.events(kind="login")) > logins_before + 0,
        timeout=30,
    )
    run = live.finish()
    assert run.states.count("signed-in") >= 2 and "signin" not in run.states, run.explain()
    assert run.states[run.states.index("signed-in") + 1] == "signing-in", run.states
    assert "error" not in run.states, run.explain()
    assert facts["page"]["meteorUserId"] == sandbox.user_id(ALICE.username)
    fresh = CredentialStore(launcher.paths.keyring_namespace).load_token(launcher.stack.rocketchat_url)
    assert fresh is not None and fresh.auth_token != token.auth_token  # a new token from the organization
    assert sandbox.events(kind="logout")
