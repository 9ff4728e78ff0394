"""A token Rocket.Chat revoked (logged out, expired) is not handed out again by either endpoint.

The launcher reports a refusal with `?revalidate=1`; iframe-auth asks Rocket.Chat itself before reusing a
cached token. Real servers on 127.0.0.1 throughout.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import httpx
import pytest

from rcsandbox import Sandbox

from .conftest import RunningService, rc_me

pytestmark = pytest.mark.real

# Longer than one check with Rocket.Chat vouches for a token (tokenservice.tokens.CONFIRM_WINDOW, a few
# seconds), shorter than the periodic re-check (token_revalidate_after, 300 s by default).
PAST_CONFIRMATION = 10.0


@contextlib.contextmanager
def _browser(service: RunningService, username: str = "alice") -> Iterator[httpx.Client]:
    """A cookie-keeping client signed in on the /login page, as Rocket.Chat's web client would be."""
    with httpx.Client(base_url=service.url) as client:
        resp = client.post("/api/login", json={"username": username, "password": f"{username}-pw"})
        assert resp.status_code == 200
        yield client


def _iframe_auth(rc: Sandbox, browser: httpx.Client) -> httpx.Response:
    return browser.post("/api/rocketchat/iframe-auth", headers={"Origin": rc.origin})


def _rocketchat_accepts(rc: Sandbox, user_id: str, auth_token: str) -> bool:
    """Both checks Rocket.Chat has: the REST header check and the web client's resume login (expiry)."""
    resume = httpx.post(f"{rc.url}/api/v1/login", json={"resume": auth_token})
    return resume.status_code == 200 and rc_me(rc, user_id, auth_token).status_code == 200


def _log_out_at_rocketchat(rc: Sandbox, user_id: str, auth_token: str) -> None:
    resp = httpx.post(f"{rc.url}/api/v1/logout", headers={"X-User-Id": user_id, "X-Auth-Token": auth_token})
    assert resp.status_code == 200


def test_iframe_auth_replaces_a_token_logged_out_at_rocketchat(rc: Sandbox, service: RunningService) -> None:
    with _browser(service) as browser:
        revoked = _iframe_auth(rc, browser).json()["loginToken"]
        user_id = rc.user_id("alice")
        assert user_id is not None
        _log_out_at_rocketchat(rc, user_id, revoked)

        service.clock.advance(PAST_CONFIRMATION)
        resp = _iframe_auth(rc, browser)

    assert resp.status_code == 200
    fresh = resp.json()["loginToken"]
    assert fresh != revoked
    assert _rocketchat_accepts(rc, user_id, fresh)


def test_revalidate_drops_an_expired_token_for_both_endpoints(rc: Sandbox, service: RunningService) -> None:
    """`/api/v1/me` still accepts an expired token (docs/rocketchat-contract.md#token-lifetime-and-expiry),
    so the launcher's report must drop the cached token rather than have it checked."""
    headers = service.bearer("alice")
    first = service.token(headers).json()
    rc.expire_tokens("alice")
    assert not _rocketchat_accepts(rc, first["userId"], first["authToken"])

    fresh = service.token(headers, params={"revalidate": "1"}).json()
    assert fresh["authToken"] != first["authToken"]
    assert _rocketchat_accepts(rc, fresh["userId"], fresh["authToken"])

    with _browser(service) as browser:
        iframe = _iframe_auth(rc, browser)
    assert iframe.status_code == 200
    assert iframe.json()["loginToken"] != first["authToken"]
    assert _rocketchat_accepts(rc, first["userId"], iframe.json()["loginToken"])


def test_revalidate_replaces_a_logged_out_token_for_the_next_iframe_auth(
    rc: Sandbox, service: RunningService
) -> None:
    headers = service.bearer("bob")
    first = service.token(headers).json()
    _log_out_at_rocketchat(rc, first["userId"], first["authToken"])

    fresh = service.token(headers, params={"revalidate": "1"}).json()
    with _browser(service, "bob") as browser:
        iframe = _iframe_auth(rc, browser).json()

    assert fresh["authToken"] != first["authToken"]
    assert iframe["loginToken"] == fresh["authToken"]
    assert _rocketchat_accepts(rc, fresh["userId"], fresh["authToken"])


def test_iframe_auth_reuses_a_token_rocketchat_still_accepts(rc: Sandbox, service: RunningService) -> None:
    with _browser(service) as browser:
        first = _iframe_auth(rc, browser).json()["loginToken"]
        service.clock.advance(PAST_CONFIRMATION)
        again = _iframe_auth(rc, browser).json()["loginToken"]

    assert again == first
    assert len([e for e in rc.events(kind="token-issued") if e["username"] == "alice"]) == 1


def test_iframe_auth_check_with_rocketchat_down_is_a_clear_502(
    rc: Sandbox, service: RunningService, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tokenservice")
    with _browser(service) as browser:
        assert _iframe_auth(rc, browser).status_code == 200
        service.clock.advance(PAST_CONFIRMATION)
        rc.stop()
        try:
            resp = _iframe_auth(rc, browser)
        finally:
            rc.start()
        assert _iframe_auth(rc, browser).status_code == 200  # back once Rocket.Chat is

    assert resp.status_code == 502
    assert resp.json()["error"] == "rocketchat_unreachable"
    assert rc.url in resp.json()["message"]
    assert resp.headers["access-control-allow-origin"] == rc.origin
    assert not [r for r in caplog.records if r.name.startswith("tokenservice") and r.exc_info]
