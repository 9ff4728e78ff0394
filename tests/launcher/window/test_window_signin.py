"""The window signs in: first run through the form, later runs with no prompt, late Rocket.Chat client,
and the resume-token path when Rocket.Chat does not accept the iframe command. Real window, real keyring."""

from __future__ import annotations

import pytest

from launcher.signin.credentials import CredentialStore
from tests.support.launcher_runs import ALICE, ORGANIZATION

pytestmark = pytest.mark.window


def test_first_run_fills_and_submits_the_sign_in_form(make_launcher, artifacts_dir):
    launcher = make_launcher()
    run = launcher.sign_in_with_form()

    assert run.report["renderer"] == "qtwebengine"
    assert run.states[0] == "signin" and run.states[-1] == "signed-in", run.explain()
    assert "signing-in" in run.states
    signin = run.entry("signin")
    assert ORGANIZATION in signin["text"] and "Keep me signed in" in signin["text"]
    assert signin["filled"] is True
    assert run.entry("signing-in")["origin"] == launcher.stack.sandbox.origin
    signed_in = run.entry("signed-in")
    assert signed_in["origin"] == launcher.stack.sandbox.origin
    assert signed_in["meteorUserId"] == launcher.stack.sandbox.user_id(ALICE.username)
    assert signed_in["cover"] is False and signed_in["coverShownMs"] > 0  # covered, then uncovered
    run.assert_screenshots()
    assert [
        e["username"] for e in launcher.stack.sandbox.events(kind="login") if "username" in e
    ] or launcher.stack.sandbox.events(kind="login")
    store = CredentialStore(launcher.paths.keyring_namespace)
    assert store.load_login().username == ALICE.username
    assert store.load_token(launcher.stack.rocketchat_url) is not None
    assert run.timeline and run.timeline["signin_confirmed"] > run.timeline["token_ready"] > 0


def test_second_run_goes_straight_to_rocketchat_without_a_prompt(make_launcher):
    launcher = make_launcher()
    launcher.sign_in_with_form()

    run = launcher.run(plan={"finish_on": ["signed-in", "error", "signin"]})

    assert run.returncode == 0, run.explain()
    assert "signin" not in run.states and run.states[-1] == "signed-in", run.explain()
    assert run.report["renderer"] == "qtwebengine"
    # the cover was over Rocket.Chat from the start of the page until the sign-in was confirmed
    assert run.entry("signed-in")["cover"] is False and run.entry("signed-in")["coverShownMs"] > 0
    assert run.entry("signed-in")["meteorUserId"] == launcher.stack.sandbox.user_id(ALICE.username)
    run.assert_screenshots()
    timeline = run.timeline
    for milestone in ("window_shown", "page_loaded", "token_ready", "signin_confirmed"):
        assert isinstance(timeline[milestone], float), f"{milestone} missing from the timeline: {timeline}"


def test_exit_when_ready_without_the_e2e_driver(make_launcher):
    launcher = make_launcher()
    launcher.sign_in_with_form()

    run = launcher.run(args=["--exit-when-ready"], e2e=False)

    assert run.returncode == 0, run.explain()
    assert "signed in" in run.stdout
    assert run.timeline["signin_confirmed"] > 0 and run.timeline["renderer"] == "qtwebengine"


def test_rocketchat_client_starting_three_seconds_late_still_signs_in(make_launcher):
    launcher = make_launcher(client_start_delay=3.0)
    launcher.sign_in_with_form()
    launcher.drop_web_session()  # so the cached token must go in by the command, posted until taken
    run = launcher.run(plan={"finish_on": ["signed-in", "error", "signin"]})

    assert run.states[-1] == "signed-in", run.explain()
    assert run.entry("signed-in")["info"]["path"] == "iframe-command"
    assert run.timeline["signin_confirmed"] - run.timeline["page_loaded"] >= 2500  # it really waited
    assert run.entry("signing-in")["cover"] is True  # three seconds under the cover, caught on screen
    assert run.entry("signed-in")["coverShownMs"] >= 2500
    run.assert_screenshots()


@pytest.mark.parametrize(
    "rc_settings",
    [
        {"Iframe_Integration_receive_enable": False},
        {"Iframe_Integration_receive_origin": "https://intranet.example.com"},
    ],
    ids=["receive-disabled", "restricted-origin-list"],
)
def test_command_not_accepted_uses_the_resume_token_link(make_launcher, rc_settings):
    launcher = make_launcher(rc_settings=rc_settings)
    run = launcher.run(
        fill={"username": ALICE.username, "password": ALICE.password, "remember": True},
        plan={"finish_on": ["signed-in", "error", "signin-failed"]},
    )

    assert run.states[-1] == "signed-in", run.explain()
    assert run.entry("signed-in")["info"]["path"] == "resume-token"
    assert run.timeline["login_path_first"] == "resume-token"  # decided from settings.public, no waiting
    # Rocket.Chat strips the token from the address once it used it
    assert "resumeToken" not in (run.entry("signed-in")["url"] or "")
    assert not launcher.stack.sandbox.events(kind="command-rejected")
    run.assert_screenshots()
