"""Rate limits at start: Rocket.Chat limits every REST route per client IP, and behind a company NAT a
whole office shares one address. An unattended start waits out a short limit as the server says, hands
a cached token to the page when only the check of it was limited, and otherwise says how long to wait,
keeping everything stored."""

from __future__ import annotations

import time

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from launcher.signin.flow import Failed, SignedIn, SignInFlow
from tests.launcher.conftest import EMPLOYEES
from tests.launcher.signin.conftest import assert_login_kept, stored_alice

pytestmark = pytest.mark.real


def _limited(wait_s: float) -> JSONResponse:
    reset_ms = int((time.time() + wait_s) * 1000)
    headers = {"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset_ms)}
    body = {"success": False, "error": "Too many requests; slow down. [error-too-many-requests]"}
    return JSONResponse(body, status_code=429, headers=headers)


def test_a_short_organization_rate_limit_at_start_is_waited_out(rc, store, settings_for, client_for, serve):
    user_id, token = rc.login_token("rita")
    calls: list[tuple[str, float]] = []

    async def busy_morning(request: Request) -> Response:
        if request.url.path == "/":
            return JSONResponse({})  # the server's own readiness probe
        calls.append((request.url.path, time.monotonic()))
        if request.url.path == "/api/login":
            if len(calls) == 1:
                return _limited(1.2)
            return JSONResponse({"access_token": "org-session-1", "token_type": "bearer", "expires_in": 3600})
        return JSONResponse({"authToken": token, "userId": user_id})

    settings = settings_for(rc.url, serve(busy_morning))
    stored_alice(store)

    outcome = SignInFlow(settings, store, client=client_for(settings)).resume()

    assert isinstance(outcome, SignedIn), outcome
    assert outcome.token.auth_token == token
    assert [path for path, _ in calls] == ["/api/login", "/api/login", "/api/rocketchat/token"]
    assert calls[1][1] - calls[0][1] >= 1.0  # it waited as X-RateLimit-Reset said, then tried again
    assert_login_kept(store)


def test_a_long_organization_rate_limit_says_how_long_and_keeps_the_login(store, resume_against):
    seen: list[str] = []

    async def limited(request: Request) -> Response:
        if request.url.path != "/":  # "/": the server's own readiness probe
            seen.append(request.url.path)
        return _limited(120)

    _url, outcome = resume_against(limited)

    assert isinstance(outcome, Failed)
    assert outcome.retryable
    assert "(HTTP 429); wait 120 seconds and try again." in outcome.message
    assert seen == ["/api/login"]  # two minutes is not waited out behind a cover: the person is told
    assert_login_kept(store)


def test_a_typed_sign_in_is_never_held_back_by_a_rate_limit(rc, store, settings_for, client_for, serve):
    seen: list[str] = []

    async def limited(request: Request) -> Response:
        if request.url.path != "/":  # "/": the server's own readiness probe
            seen.append(request.url.path)
        return _limited(2)

    settings = settings_for(rc.url, serve(limited))
    outcome = SignInFlow(settings, store, client=client_for(settings)).sign_in("alice", "typed-pw")

    assert isinstance(outcome, Failed) and "wait 2 seconds" in outcome.message
    assert seen == ["/api/login"]  # the person is at the form: say it at once


def test_a_rate_limited_token_check_hands_the_cached_token_over(rc, org, store, settings_for, client_for):
    """Rocket.Chat limits /api/v1/me per address like every route; the page's own login is not that
    route, so the cached token goes to the page, which decides (a refusal there gets a fresh token)."""
    settings = settings_for(rc.url, org.url)
    first = SignInFlow(settings, store, client=client_for(settings)).sign_in("alice", EMPLOYEES["alice"])
    assert isinstance(first, SignedIn)
    rc.set_rate_limit("/api/v1/me", 0, 60)

    outcome = SignInFlow(settings, store, client=client_for(settings)).resume()

    assert isinstance(outcome, SignedIn) and outcome.source == "cached", outcome
    assert outcome.token == first.token
    assert [e["route"] for e in rc.events(kind="rate-limited")] == ["/api/v1/me"]
