"""What the window shows when something goes wrong, and sign-out. Real window, real keyring, real servers."""

from __future__ import annotations

import pytest

from launcher.signin.credentials import CredentialStore
from launcher.window.local_pages import SIGN_IN_LINK_REFUSED
from tests.support.launcher_runs import ALICE

pytestmark = pytest.mark.window

FINISH = ["signed-in", "error", "signin-failed", "signin"]


def test_wrong_password_shows_a_one_line_error_on_the_form(make_launcher):
    launcher = make_launcher()
    run = launcher.run(
        fill={"username": ALICE.username, "password": "not-the-password", "remember": True},
        plan={"finish_on": ["signed-in", "error", "signin-failed"]},
    )

    assert run.report["renderer"] == "qtwebengine"
    assert run.report["final_state"] == "signin-failed", run.explain()
    failed = run.entry("signin-failed")
    message = failed["info"]["message"]
    assert message and "\n" not in message and message in failed["text"]
    assert "password" in message.lower()
    assert "not-the-password" not in failed["text"]  # the page never echoes the password
    run.assert_screenshots()
    assert CredentialStore(launcher.paths.keyring_namespace).load_token(launcher.stack.rocketchat_url) is None


def test_organization_down_with_a_valid_cached_token_still_signs_in(make_launcher):
    launcher = make_launcher()
    launcher.sign_in_with_form()
    launcher.stack.token_server.stop()

    run = launcher.run(plan={"finish_on": FINISH})

    assert run.states[-1] == "signed-in", run.explain()
    assert run.entry("signed-in")["meteorUserId"] == launcher.stack.sandbox.user_id(ALICE.username)
    run.assert_screenshots()


def test_organization_down_without_a_cached_token_shows_the_error_page(make_launcher):
    launcher = make_launcher()
    launcher.sign_in_with_form()
    CredentialStore(launcher.paths.keyring_namespace).forget_token()
    # the page's own stored session is no cached token either: Rocket.Chat rejects it (expired);
    # a page that still holds a valid session signs itself in (tests/launcher/window/test_cached_start.py)
    launcher.stack.sandbox.expire_tokens(ALICE.username)
    launcher.stack.token_server.stop()

    run = launcher.run(plan={"finish_on": FINISH})

    assert run.report["final_state"] == "error", run.explain()
    error = run.entry("error")
    assert error["painted"] is True, error
    assert "Retry" in error["text"] and "Sign in as someone else" in error["text"], error
    assert error["info"]["message"] in error["text"], error
    assert error["url"].endswith("/error.html")  # a page of ours, never a blank one
    run.assert_screenshots()

    unattended = launcher.run(args=["--exit-when-ready"], e2e=False)
    assert unattended.returncode == 1
    assert error["info"]["message"] in unattended.stderr


def test_rocketchat_down_shows_the_error_page(make_launcher):
    launcher = make_launcher()
    launcher.sign_in_with_form()
    launcher.stack.sandbox.stop()

    run = launcher.run(plan={"finish_on": FINISH})

    assert run.report["final_state"] == "error", run.explain()
    assert "Rocket.Chat" in run.entry("error")["info"]["message"]
    run.assert_screenshots()


def test_sign_out_from_the_menu_clears_rocketchat_storage_and_keyring(make_launcher):
    launcher = make_launcher()
    launcher.sign_in_with_form()
    user_id = launcher.stack.sandbox.user_id(ALICE.username)

    run = launcher.run(
        plan={"after_signed_in": [{"do": "menu", "title": "Sign out"}], "finish_on": ["signin", "error"]}
    )

    assert run.states == ["signing-in", "signed-in", "signing-out", "signin"], run.explain()
    assert run.report["actions"][0]["clicked"] is True
    signin = run.entry("signin")
    assert "You are signed out." in signin["text"]
    assert signin["meteorUserId"] is None  # the sign-in page is a local page; Rocket.Chat's keys are gone:
    store = CredentialStore(launcher.paths.keyring_namespace)
    assert store.load_login() is None and store.load_token(launcher.stack.rocketchat_url) is None
    assert any(e.get("user_id", user_id) == user_id for e in launcher.stack.sandbox.events(kind="logout"))
    assert not launcher.paths.webview_storage_dir.exists()  # wiped once the window closed
    run.assert_screenshots()

    after = launcher.run(args=["--exit-when-ready"], e2e=False)
    assert after.returncode == 2, after.explain()  # nothing stored any more: it needs the password


def test_links_to_other_origins_open_outside_and_get_no_token(make_launcher, other_origin):
    launcher = make_launcher()
    launcher.sign_in_with_form()
    target = f"{other_origin.url}/landing?from=rocketchat"

    run = launcher.run(
        plan={
            "after_signed_in": [
                {"do": "click-link", "url": target + "&how=blank", "target": "_blank"},
                {"do": "click-link", "url": target + "&how=self", "target": "_self"},
                {"do": "navigate", "url": target + "&how=script"},
            ],
            "finish_on": ["signed-in", "error", "signin"],
        }
    )

    assert run.states[-1] == "signed-in", run.explain()
    rc_origin = launcher.stack.sandbox.origin
    for action in run.report["actions"]:
        assert action["clicked"] is True
        assert action["opened_externally"] == [action["url"]], action
        assert action["origin_after"] == rc_origin  # the window stayed on Rocket.Chat
    assert launcher.opened_in_browser() == [a["url"] for a in run.report["actions"]]
    assert other_origin.requests == []  # the window never loaded the other origin, so it got nothing
    assert run.report["after_actions"]["origin"] == rc_origin
    run.assert_screenshots()


def test_a_sign_in_link_sent_on_to_another_site_is_stopped_with_the_error_page(make_launcher, other_origin):
    """Rocket.Chat's server (a wrong Site URL, a reverse proxy) redirects `/home?resumeToken=` elsewhere:
    the token goes neither to that site nor to the system browser, and the error page says why."""
    launcher = make_launcher(login_strategy="resume-token")
    launcher.stack.sandbox.redirect_home_to(other_origin.url)

    run = launcher.run(
        fill={"username": ALICE.username, "password": ALICE.password, "remember": True},
        plan={"finish_on": ["signed-in", "error", "signin-failed"]},
    )

    assert run.report["final_state"] == "error", run.explain()
    error = run.entry("error")
    assert error["info"]["message"] == SIGN_IN_LINK_REFUSED, error
    assert SIGN_IN_LINK_REFUSED in error["text"] and error["url"].endswith("/error.html"), error
    assert launcher.opened_in_browser() == []  # not even the system browser got the link
    assert other_origin.requests == []
    token = CredentialStore(launcher.paths.keyring_namespace).load_token(launcher.stack.rocketchat_url)
    assert token is not None  # the sign-in itself worked: the stored token stays for the next start
    run.assert_screenshots()
