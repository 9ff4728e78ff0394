"""Sign-in that holds on servers as Rocket.Chat really behaves: a web client that takes ten seconds to
start, a session Rocket.Chat drops while the window is open. Real window, real keyring, the stand-in."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from launcher.signin.credentials import CredentialStore
from tests.support.certs import CertFiles, make_test_ca
from tests.support.launcher_runs import ALICE, Launcher
from tests.support.servers import TinyProxy

pytestmark = pytest.mark.window

TEN_SECONDS = 10.0
RECEIVE_ON = {"Iframe_Integration_receive_enable": True}
RELAYED_FROM = "127.0.0.2"  # the address tinyproxy connects out from


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


@pytest.mark.parametrize(
    ("rc_settings", "delay", "path"),
    [
        ({"Iframe_Integration_receive_enable": False}, 24.0, "resume-token"),
        (RECEIVE_ON, 15.0, "iframe-command"),
    ],
    ids=["resume-token-link-24s", "iframe-command-15s"],
)
def test_longer_client_starts_keep_their_path_and_sign_in(make_launcher, rc_settings, delay, path):
    """Before the waits followed the client's start, a 24 s start on the link ended on an error page and a
    15 s start on the command fell back to the token in a URL (both measured on the previous version)."""
    launcher = make_launcher(rc_settings=rc_settings, client_start_delay=delay)

    run = launcher.sign_in_with_form()

    assert run.states[-1] == "signed-in", run.explain()
    assert run.entry("signed-in")["info"]["path"] == path
    assert run.entry("signed-in")["coverShownMs"] >= delay * 1000


def test_a_session_rocketchat_drops_while_running_is_signed_in_again_without_a_prompt(make_launcher):
    """An admin logs the user out of all sessions while the window is open: the page falls to its login
    form, and the launcher signs it in again with a fresh token from the organization."""
    launcher = make_launcher(rc_settings=RECEIVE_ON)
    launcher.sign_in_with_form()
    sandbox = launcher.stack.sandbox
    live = launcher.start()
    live.wait_signed_in()
    store = CredentialStore(launcher.paths.keyring_namespace)
    token = store.load_token(launcher.stack.rocketchat_url)
    assert token is not None

    sandbox.revoke_sessions(ALICE.username)  # an admin's "log out from all sessions"

    def signed_in_again(facts: dict) -> bool:
        fresh = store.load_token(launcher.stack.rocketchat_url)
        return (
            facts["state"] == "signed-in"
            and fresh is not None
            and fresh.auth_token != token.auth_token  # a new token from the organization
            and "Signed in as Alice Doe" in (facts["page"].get("text") or "")
        )

    facts = live.wait_facts(signed_in_again, timeout=30)
    run = live.finish()
    assert "signin" not in run.states and "error" not in run.states, run.explain()
    assert run.states[run.states.index("signed-in") + 1] == "signing-in", run.states  # covered, signing in
    assert run.timeline["page_signed_out"] == 1
    assert facts["page"]["meteorUserId"] == sandbox.user_id(ALICE.username)
    assert sandbox.events(kind="sessions-revoked")


def test_a_stored_web_session_revoked_between_two_starts_ends_signed_in_with_no_prompt(make_launcher):
    """The page's own session was revoked (an admin logged the user out) while the launcher was closed, and
    the resume answer takes 2 s. The page's logged-in event fires anyway, for the optimistic user id; the
    launcher must wait for the server's verdict and sign the page in with a fresh token."""
    launcher = make_launcher(rc_settings=RECEIVE_ON)
    launcher.sign_in_keeping_the_web_session()
    sandbox = launcher.stack.sandbox
    sandbox.revoke_sessions(ALICE.username)  # an admin logged alice out while the launcher was closed
    sandbox.set_resume_delay(2.0)

    live = launcher.start()
    facts = live.wait_facts(
        lambda f: f["state"] == "signed-in" and "Signed in as Alice Doe" in (f["page"].get("text") or ""),
        timeout=60,
    )
    run = live.finish()

    assert "signin" not in run.states and "error" not in run.states, run.explain()
    assert run.entry("signed-in")["info"]["path"] != "page-session"  # the revoked session did not count
    assert "Signed in as Alice Doe" in run.entry("signed-in")["text"]  # signed in when the cover lifted
    assert facts["page"]["meteorUserId"] == sandbox.user_id(ALICE.username)
    refused = [e for e in sandbox.events(kind="login-failed") if e.get("method") == "resume"]
    assert refused, sandbox.events()  # the page did try its stored session, and the server refused it


def test_a_valid_stored_session_with_a_slow_resume_signs_itself_in_and_is_not_reloaded(make_launcher):
    """The other side of waiting for the server's verdict: a session the server accepts after 2 s is the
    page's own sign-in, and the launcher's token is kept back (no command, no reload with the link)."""
    launcher = make_launcher(rc_settings={"Iframe_Integration_receive_enable": False})
    launcher.sign_in_keeping_the_web_session()
    sandbox = launcher.stack.sandbox
    sandbox.set_resume_delay(2.0)
    logins_before = len(sandbox.events(kind="login"))

    run = launcher.run(plan={"finish_on": ["signed-in", "error", "signin"]})

    assert run.states[-1] == "signed-in", run.explain()
    assert run.entry("signed-in")["info"]["path"] == "page-session"
    assert "Signed in as Alice Doe" in run.entry("signed-in")["text"]
    logins = sandbox.events(kind="login")[logins_before:]
    assert [e["method"] for e in logins] == ["resume"], logins  # only the page's own resume


def test_a_server_that_keeps_dropping_the_session_ends_on_an_error_page_not_a_loop(make_launcher):
    """Signing in again is bounded: the fourth drop within ten minutes stops on a page that says why."""
    from launcher.window.signed_in_watch import MAX_RECOVERIES

    launcher = make_launcher(rc_settings=RECEIVE_ON)
    launcher.sign_in_with_form()
    sandbox = launcher.stack.sandbox
    live = launcher.start()
    live.wait_signed_in()
    for _ in range(MAX_RECOVERIES):
        logins = len(sandbox.events(kind="login"))
        sandbox.revoke_sessions(ALICE.username)
        live.wait_facts(
            lambda f, before=logins: f["state"] == "signed-in" and len(sandbox.events(kind="login")) > before,
            timeout=30,
        )

    sandbox.revoke_sessions(ALICE.username)
    facts = live.wait_facts(
        lambda f: f["state"] == "error" and "signed you out" in (f["page"].get("text") or ""), timeout=30
    )
    run = live.finish()

    assert f"Rocket.Chat signed you out {MAX_RECOVERIES + 1} times in 10 minutes" in facts["page"]["text"]
    assert "ask IT to check the Rocket.Chat server, then Retry." in facts["page"]["text"]
    assert "signin" not in run.states
    assert run.timeline["page_signed_out"] == MAX_RECOVERIES


def test_rate_limited_rest_calls_at_start_still_sign_in(make_launcher):
    """At 9:00 the whole office shares one address: Rocket.Chat answers the launcher's token check and its
    settings request with 429. The launcher hands its token to the page and lets the page decide."""
    launcher = make_launcher(rc_settings=RECEIVE_ON)
    launcher.sign_in_with_form()
    launcher.drop_web_session()  # the cached token must go in, so it is checked first
    sandbox = launcher.stack.sandbox
    sandbox.set_rate_limit("/api/v1/me", 0, 60)
    sandbox.set_rate_limit("/api/v1/settings.public", 0, 60)

    run = launcher.run(plan={"finish_on": ["signed-in", "error", "signin"]})

    assert run.states[-1] == "signed-in", run.explain()
    assert "error" not in run.states and "signin" not in run.states, run.explain()
    limited = {e["route"] for e in sandbox.events(kind="rate-limited")}
    assert {"/api/v1/me", "/api/v1/settings.public"} <= limited, limited
    assert run.entry("signed-in")["meteorUserId"] == sandbox.user_id(ALICE.username)


def _https_stack(tmp_path: Path, record_requests: bool = False) -> tuple[CertFiles, dict[str, Any]]:
    """A company CA and the DemoStack options that serve Rocket.Chat on https with its certificate."""
    company = make_test_ca(tmp_path / "company-ca", name="Example Corp Issuing CA")
    tls = (company.cert_file, company.key_file, company.ca_file)
    return company, {"rc_tls": tls, "rc_options": {"record_requests": True} if record_requests else {}}


def _network(launcher: Launcher, **keys: str) -> None:
    with launcher.config.open("a", encoding="utf-8") as handle:
        handle.write("\n[network]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in keys.items()))


def test_https_behind_a_company_ca_signs_in_with_the_pages_requests_through_the_proxy(
    make_launcher, tmp_path, monkeypatch
):
    """Rocket.Chat on https with a certificate from the company's own CA, named in network.ca_file, and a
    company proxy in network.proxy: the page trusts what the sign-in trusts, and its requests go through
    the proxy. tinyproxy connects out from 127.0.0.2, so the stand-in tells relayed requests from direct
    ones; Chromium never proxies loopback addresses unless told so, which only this test does."""
    company, options = _https_stack(tmp_path, record_requests=True)
    proxy = TinyProxy(tmp_path / "proxy", bind=RELAYED_FROM).start()
    try:
        flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
        monkeypatch.setenv("QTWEBENGINE_CHROMIUM_FLAGS", f"{flags} --proxy-bypass-list=<-loopback>".strip())
        launcher = make_launcher(rc_settings=RECEIVE_ON, stack_options=options)
        _network(launcher, ca_file=str(company.ca_file), proxy=proxy.url)
        sandbox = launcher.stack.sandbox
        assert sandbox.url.startswith("https://127.0.0.1:")

        run = launcher.sign_in_with_form()

        assert run.states[-1] == "signed-in", run.explain()
        assert run.entry("signed-in")["origin"] == sandbox.origin
        assert run.entry("signed-in")["meteorUserId"] == sandbox.user_id(ALICE.username)
        page = [e for e in sandbox.events(kind="request") if _from_the_page(e)]
        assert page, sandbox.events(kind="request")
        assert {e["ip"] for e in page} == {RELAYED_FROM}, [e for e in page if e["ip"] != RELAYED_FROM]
        assert f"CONNECT 127.0.0.1:{sandbox.port} HTTP/1.1" in proxy.requests()
    finally:
        proxy.stop()


def test_a_certificate_nobody_trusts_gets_the_certificate_page(make_launcher, tmp_path, artifacts_dir):
    """The server's certificate now comes from a CA the launcher does not trust (here network.ca_file was
    taken out after the first sign-in): the window says which host, which issuer, and what IT must do,
    instead of "check your network"."""
    company, options = _https_stack(tmp_path)
    launcher = make_launcher(rc_settings=RECEIVE_ON, stack_options=options)
    original = launcher.config.read_text(encoding="utf-8")
    _network(launcher, ca_file=str(company.ca_file))
    launcher.sign_in_keeping_the_web_session()
    launcher.config.write_text(original, encoding="utf-8")  # the company CA is no longer trusted

    run = launcher.run(plan={"finish_on": ["signed-in", "error", "signin"]})

    assert run.states[-1] == "error", run.explain()
    error = run.entry("error")
    assert error["info"]["message"] == (
        "The security certificate of 127.0.0.1 was issued by “Example Corp Issuing CA”, which this computer does "
        "not trust, so the launcher did not open Rocket.Chat: IT must install that certificate authority on this "
        "computer or name its certificate in network.ca_file."
    )
    assert "Rocket.Chat's certificate is not trusted" in error["text"]
    assert "check your network" not in error["text"]
    run.assert_screenshots(copy_to=artifacts_dir)


def _from_the_page(request: dict[str, Any]) -> bool:
    """A request the window's engine made: a browser's user agent (the stand-in's own readiness probe, the
    token service's calls and the launcher's sign-in calls name httpx or themselves)."""
    return request.get("user_agent", "").startswith("Mozilla/")


@pytest.mark.parametrize(
    ("rc_settings", "path"),
    [
        (RECEIVE_ON, "iframe-command"),
        ({**RECEIVE_ON, "Iframe_Integration_receive_origin": "https://intranet.example.com"}, "resume-token"),
    ],
    ids=["command-allowed", "origin-not-admitted"],
)
def test_an_old_server_gets_the_path_its_settings_allow(make_launcher, rc_settings, path):
    """Before 7.0 settings.public pages through everything and ignores the filter: the launcher must still
    read the Iframe settings (on a later page), and choose from them at once: the command where it is
    allowed, the link where the origin list does not admit Rocket.Chat (not the command "to try")."""
    launcher = make_launcher(rc_settings=rc_settings, stack_options={"rc_options": {"version": "6.9.0"}})

    run = launcher.sign_in_with_form()

    assert run.states[-1] == "signed-in", run.explain()
    assert run.timeline["login_path_first"] == path  # chosen from the settings it read
    assert run.entry("signed-in")["info"]["path"] == path


@pytest.mark.parametrize(
    ("rc_settings", "path"),
    [({"Iframe_Integration_receive_enable": False}, "resume-token"), (RECEIVE_ON, "iframe-command")],
    ids=["resume-token-link", "iframe-command"],
)
def test_rocketchat_under_a_path_signs_in_and_later_starts_from_its_namespaced_session(
    make_launcher, rc_settings, path
):
    """ROOT_URL https://example.com/chat: REST and the page live under /chat, the command goes to the
    bare origin, and Meteor keeps its login under namespaced keys. Both paths sign in, and the next start
    recognises the page's own stored session under those keys (no second token handed over)."""
    launcher = make_launcher(rc_settings=rc_settings, stack_options={"rc_options": {"path_prefix": "/chat"}})
    sandbox = launcher.stack.sandbox
    assert launcher.stack.rocketchat_url == sandbox.origin + "/chat"

    first = launcher.sign_in_keeping_the_web_session()

    assert first.entry("signed-in")["info"]["path"] == path, first.explain()
    assert first.entry("signed-in")["meteorUserId"] == sandbox.user_id(ALICE.username)
    assert "Signed in as Alice Doe" in first.entry("signed-in")["text"]
    logins_before = len(sandbox.events(kind="login"))

    again = launcher.run(plan={"finish_on": ["signed-in", "error", "signin"]})

    assert again.states[-1] == "signed-in", again.explain()
    assert again.entry("signed-in")["info"]["path"] == "page-session"
    logins = sandbox.events(kind="login")[logins_before:]
    assert [e["method"] for e in logins] == ["resume"], logins  # only the page's own resume
