"""Servers that are down, slow or answer the wrong thing: each ends in one clear sentence, and the
stored login is kept (only a rejected password is ever forgotten)."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from launcher.signin.flow import Failed, RocketChatToken, SignedIn, SignInFlow
from tests.launcher.conftest import EMPLOYEES, keyring_entry
from tests.launcher.signin.conftest import assert_login_kept, free_port, stored_alice

pytestmark = pytest.mark.real


def test_organization_down_connection_refused(rc, store, settings_for, client_for):
    port = free_port()
    settings = settings_for(rc.url, f"http://127.0.0.1:{port}")
    stored_alice(store)

    outcome = SignInFlow(settings, store, client=client_for(settings)).resume()

    assert isinstance(outcome, Failed)
    assert outcome.retryable
    assert outcome.message == (
        f"The organization sign-in service at 127.0.0.1:{port} refused the connection, so it is probably "
        "down; try again later, or ask IT if it persists."
    )
    assert outcome.error.kind == "refused"
    assert_login_kept(store)


def test_organization_too_slow_times_out(rc, store, settings_for, client_for, serve):
    release = threading.Event()

    async def slow(request: Request) -> Response:
        if request.url.path == "/":  # BackgroundServer's start probe
            return JSONResponse({})
        await asyncio.get_running_loop().run_in_executor(None, release.wait, 10)
        return JSONResponse({"access_token": "late"})

    url = serve(slow)
    settings = settings_for(rc.url, url, network__read_timeout=0.5)
    stored_alice(store)
    try:
        outcome = SignInFlow(settings, store, client=client_for(settings)).resume()
    finally:
        release.set()

    assert isinstance(outcome, Failed)
    assert outcome.message == (
        f"The organization sign-in service at {url.removeprefix('http://')} did not answer within 0.5 s; "
        "it may be overloaded, so try again in a moment."
    )
    assert outcome.error.kind == "timeout"
    assert_login_kept(store)


def test_organization_answers_an_html_error_page(store, resume_against):
    async def portal(request: Request) -> Response:
        return HTMLResponse(
            "<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>", status_code=502
        )

    url, outcome = resume_against(portal)

    assert isinstance(outcome, Failed)
    assert outcome.message == (
        f"The organization sign-in service at {url.removeprefix('http://')} answered with an HTML page "
        "(HTTP 502) instead of JSON; the address may be wrong or a proxy or portal is in the way, so check "
        "the configuration or ask IT."
    )
    assert_login_kept(store)


def test_organization_answers_json_without_the_token(store, resume_against):
    async def no_token(request: Request) -> Response:
        if request.url.path == "/api/login":
            return JSONResponse({"access_token": "session-abc123", "token_type": "bearer", "expires_in": 60})
        return JSONResponse({"userId": "u1", "note": "no token here"})

    url, outcome = resume_against(no_token)

    assert isinstance(outcome, Failed)
    assert outcome.message == (
        f"The organization sign-in service at {url.removeprefix('http://')} answered the token request "
        'without a Rocket.Chat token (no "authToken" in its JSON); ask IT to check the service or the '
        "configured path."
    )
    assert outcome.error.kind == "no-token"
    assert_login_kept(store)


def test_organization_login_without_session_token(rc, store, settings_for, client_for, serve):
    async def odd(request: Request) -> Response:
        return JSONResponse({"ok": True})

    url = serve(odd)
    settings = settings_for(rc.url, url)

    outcome = SignInFlow(settings, store, client=client_for(settings)).sign_in("alice", EMPLOYEES["alice"])

    assert isinstance(outcome, Failed)
    assert 'answered the sign-in without a session token (no "access_token" in its JSON)' in outcome.message


def test_organization_too_many_attempts(rc, start_org, store, settings_for, client_for):
    from tokenservice.throttle import ThrottleSettings

    org = start_org(throttle=ThrottleSettings(max_failures_per_username=2))
    settings = settings_for(rc.url, org.url)
    flow = SignInFlow(settings, store, client=client_for(settings))
    outcomes = [flow.sign_in("alice", "wrong-guess") for _ in range(4)]

    failed = [o for o in outcomes if isinstance(o, Failed)]
    assert failed, outcomes
    assert failed[0].retryable
    assert failed[0].message.startswith(
        f"The organization sign-in service at {org.url.removeprefix('http://')} is refusing more attempts "
        "for now (HTTP 429); wait "
    )


def test_rocketchat_down_with_a_cached_token_keeps_everything(rc, org, store, settings_for, client_for):
    settings = settings_for(rc.url, org.url)
    first = SignInFlow(settings, store, client=client_for(settings)).sign_in("alice", EMPLOYEES["alice"])
    assert isinstance(first, SignedIn)
    rc.stop()

    outcome = SignInFlow(settings, store, client=client_for(settings)).resume()

    assert isinstance(outcome, Failed)
    assert outcome.retryable
    assert outcome.message == (
        f"Rocket.Chat at {rc.url.removeprefix('http://')} refused the connection, so it is probably down; "
        "try again later, or ask IT if it persists."
    )
    assert_login_kept(store)
    assert keyring_entry(store, "rocketchat-token")["authToken"] == first.token.auth_token

    rc.start()  # back up: the same stored state signs in again
    assert isinstance(SignInFlow(settings, store, client=client_for(settings)).resume(), SignedIn)


def test_rocketchat_down_behind_the_token_service(rc, org, store, settings_for, client_for):
    settings = settings_for(rc.url, org.url)
    stored_alice(store)
    rc.stop()

    outcome = SignInFlow(settings, store, client=client_for(settings)).resume()

    assert isinstance(outcome, Failed)
    assert outcome.retryable
    assert outcome.message.startswith(
        f"The organization sign-in service at {org.url.removeprefix('http://')} could not get a token from "
        "Rocket.Chat ("
    )
    assert outcome.message.endswith("; try again later, or ask IT if it persists.")
    assert_login_kept(store)


def test_unresolvable_name_is_reported_as_dns(rc, store, settings_for, client_for):
    settings = settings_for(rc.url, "https://sso.does-not-exist.invalid")
    stored_alice(store)

    outcome = SignInFlow(settings, store, client=client_for(settings)).resume()

    assert isinstance(outcome, Failed)
    assert outcome.error.kind == "dns"
    assert outcome.message == (
        "The organization sign-in service at sso.does-not-exist.invalid could not be found: the name "
        "sso.does-not-exist.invalid does not resolve (DNS); check the address in the configuration and your "
        "network connection."
    )
    assert_login_kept(store)


def test_an_organization_that_reissues_a_rejected_token_is_a_clear_retryable_failure(
    rc, store, settings_for, client_for, serve
):
    # An organization API that ignores the revalidate hint and hands out the token Rocket.Chat refused.
    user_id, dead_token = rc.login_token("rita")  # a user the sandbox has from the start
    httpx.post(
        f"{rc.url}/api/v1/logout", headers={"X-User-Id": user_id, "X-Auth-Token": dead_token}
    ).raise_for_status()

    async def stale_org(request: Request) -> Response:
        if request.url.path == "/api/login":
            return JSONResponse({"access_token": "org-session-1", "token_type": "bearer", "expires_in": 3600})
        if request.url.path == "/api/rocketchat/token":
            return JSONResponse({"authToken": dead_token, "userId": user_id})
        return JSONResponse({"ok": True})

    settings = settings_for(rc.url, serve(stale_org))
    stored_alice(store)
    store.save_token(RocketChatToken(dead_token, user_id, expires_at=None), rc.url)

    outcome = SignInFlow(settings, store, client=client_for(settings)).resume()

    assert isinstance(outcome, Failed), outcome
    assert outcome.retryable
    assert outcome.message == (
        "The organization sign-in service handed out the same Rocket.Chat token that Rocket.Chat has just "
        "rejected; try again in a few minutes, or ask IT to check the token service."
    )
    assert_login_kept(store)
    assert keyring_entry(store, "rocketchat-token") is None


def test_an_employee_outside_the_chat_group_is_told_so_and_keeps_the_stored_login(store, resume_against):
    """The token service's directory knows the person and the password, but not as a chat user (403
    not_permitted): that is not a wrong password, so nothing stored is forgotten."""

    async def service(request: Request) -> Response:
        body = {
            "error": "not_permitted",
            "message": "alice is not a member of the group allowed to use chat; ask IT.",
        }
        return JSONResponse(body, status_code=403)

    url, outcome = resume_against(service)

    assert isinstance(outcome, Failed)
    assert outcome.message == (
        f"The organization sign-in service at {url.removeprefix('http://')} does not let this account use "
        "Rocket.Chat (alice is not a member of the group allowed to use chat; ask IT.); ask IT for access."
    )
    assert_login_kept(store)


def test_an_unreachable_employee_directory_is_a_retry_later_and_keeps_the_stored_login(store, resume_against):
    async def service(request: Request) -> Response:
        body = {
            "error": "directory_unavailable",
            "message": "The employee directory cannot be reached right now; try again in a minute.",
        }
        return JSONResponse(body, status_code=503, headers={"Retry-After": "30"})

    _url, outcome = resume_against(service)

    assert isinstance(outcome, Failed)
    assert "The employee directory cannot be reached right now" in outcome.message
    assert outcome.message.endswith("try again later, or ask IT if it persists.")
    assert_login_kept(store)
