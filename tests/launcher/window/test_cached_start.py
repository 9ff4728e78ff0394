"""A returning start (signed-in mark): the page signing itself in from its own stored session is confirmed
without the launcher's token, but only for the user the mark names, and only when Rocket.Chat accepts that
session; otherwise the launcher's token signs the page in as before. Real window, keyring and servers;
order and outcome are read from the timeline and the sandbox's event log, never from timings."""

from __future__ import annotations

import httpx
import pytest

from launcher.signin.credentials import CredentialStore
from launcher.signin.rcclient import RocketChatClient
from launcher.signin.tokens import RocketChatToken
from launcher.window import webstate
from rcsandbox.config import SandboxUser
from tests.support.launcher_runs import ALICE

pytestmark = pytest.mark.window

FINISH = ["signed-in", "error", "signin"]


def _page_logins(launcher) -> list[dict]:
    return [e for e in launcher.stack.sandbox.events(kind="login") if e.get("client") == "web"]


def test_the_pages_own_session_is_confirmed_without_the_launchers_token(make_launcher):
    launcher = make_launcher()
    launcher.sign_in_keeping_the_web_session()
    alice_id = launcher.stack.sandbox.user_id(ALICE.username)
    assert webstate.signed_in_user(launcher.paths) == alice_id  # kept with the mark at the first sign-in
    # resume() cannot produce a token now: none cached, and the organization is down
    CredentialStore(launcher.paths.keyring_namespace).forget_token()
    launcher.stack.token_server.stop()
    before = len(_page_logins(launcher))

    run = launcher.run(plan={"finish_on": FINISH})

    assert run.states == ["signing-in", "signed-in"], run.explain()
    assert run.entry("signed-in")["info"]["path"] == "page-session"
    assert run.entry("signed-in")["meteorUserId"] == alice_id
    assert run.entry("signed-in")["cover"] is False
    assert run.timeline["login_path"] == "page-session" and run.timeline["token_ready"] is None
    # Rocket.Chat's client resumed its own stored session; the launcher posted no token
    new = _page_logins(launcher)[before:]
    assert [e["method"] for e in new] == ["resume"], new
    run.assert_screenshots()


def test_a_page_signed_in_as_another_user_is_not_accepted(make_launcher):
    launcher = make_launcher()
    launcher.sign_in_keeping_the_web_session()  # the webview's stored session is alice's
    sandbox = launcher.stack.sandbox
    sandbox.add_user(SandboxUser(username="bob", password="bob-throwaway-pw"))
    bob_id, bob_token = sandbox.login_token("bob")
    # the launcher's profile now belongs to bob: his cached token, his id with the mark
    CredentialStore(launcher.paths.keyring_namespace).save_token(
        RocketChatToken(auth_token=bob_token, user_id=bob_id), launcher.stack.rocketchat_url
    )
    webstate.set_signed_in(launcher.paths, True, bob_id)

    run = launcher.run(plan={"finish_on": FINISH})

    assert run.states[-1] == "signed-in", run.explain()
    assert run.entry("signed-in")["info"]["path"] == "iframe-command"  # bob's token, not alice's session
    assert run.entry("signed-in")["meteorUserId"] == bob_id
    assert webstate.signed_in_user(launcher.paths) == bob_id
    assert bob_token not in run.stderr  # the token never reaches a log or console message


def test_a_stored_session_rocketchat_rejects_gets_the_token_path(make_launcher):
    launcher = make_launcher()
    launcher.sign_in_keeping_the_web_session()
    alice_id = launcher.stack.sandbox.user_id(ALICE.username)
    store = CredentialStore(launcher.paths.keyring_namespace)
    cached = store.load_token(launcher.stack.rocketchat_url)
    # the page's stored session is the token the launcher handed it: log it out at Rocket.Chat
    with httpx.Client() as client:
        RocketChatClient(launcher.stack.rocketchat_url, client).logout(cached)
    before = len(launcher.stack.sandbox.events())

    run = launcher.run(plan={"finish_on": FINISH})

    assert run.states[-1] == "signed-in", run.explain()
    assert run.entry("signed-in")["info"]["path"] == "iframe-command"  # not the rejected page session
    assert run.entry("signed-in")["meteorUserId"] == alice_id
    events = launcher.stack.sandbox.events()[before:]
    kinds = [(e["kind"], e.get("method")) for e in events if e["kind"] in ("login", "login-failed")]
    # the page's own resume was refused, then the launcher's fresh token (stored login) signed it in
    assert ("login-failed", "resume") in kinds and kinds[-1] == ("login", "iframe-command"), kinds
    assert store.load_token(launcher.stack.rocketchat_url).auth_token != cached.auth_token
