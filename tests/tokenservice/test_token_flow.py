"""Flow 1 end to end: bearer -> /api/rocketchat/token -> a token Rocket.Chat (rcsandbox) accepts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from rcsandbox import Sandbox, SandboxUser
from tokenservice.config import ServiceAccount

from .conftest import RunningService, rc_me

pytestmark = pytest.mark.real


def test_first_token_creates_the_user_from_the_directory(rc: Sandbox, service: RunningService) -> None:
    resp = service.token(service.bearer("alice"))

    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"authToken", "userId", "expiresAt"}
    # Accounts_LoginExpiration defaults to 90 days; the service says so, so the launcher knows.
    expires_at = datetime.fromisoformat(body["expiresAt"])
    assert timedelta(days=89) < expires_at - datetime.now(UTC) <= timedelta(days=90)
    me = rc_me(rc, body["userId"], body["authToken"])
    assert me.status_code == 200
    assert (me.json()["username"], me.json()["name"], me.json()["email"]) == (
        "alice",
        "Alice Doe",
        "alice@example.com",
    )
    created = rc.events(kind="user-created")
    assert [(e["username"], e["by"]) for e in created] == [("alice", "admin")]


def test_get_does_not_mint(rc: Sandbox, service: RunningService) -> None:
    resp = service.token(service.bearer("bob"), method="GET")
    assert resp.status_code == 405
    assert resp.json()["error"] == "method_not_allowed"
    assert rc.events(kind="token-issued") == []


def test_another_sites_request_cannot_spend_the_cookie(rc: Sandbox, service: RunningService) -> None:
    """A browser attaches the cookie to any site's POST; the token answer is a Rocket.Chat login."""
    with httpx.Client(base_url=service.url) as browser_like:
        login = browser_like.post("/api/login", json={"username": "bob", "password": "bob-pw"})
        assert login.status_code == 200
        sent_by_other_sites = (
            {"Origin": "https://evil.example"},
            {"Sec-Fetch-Site": "cross-site"},
            {"Sec-Fetch-Site": "same-site", "Origin": service.url},
            {"Origin": "null"},
        )
        for headers in sent_by_other_sites:
            resp = browser_like.post("/api/rocketchat/token", headers=headers)
            assert resp.status_code == 403, headers
            assert resp.json()["error"] == "origin_not_allowed"
        assert rc.events(kind="token-issued") == []
        # The launcher's cookie mode: its own HTTP client, no browser headers.
        assert browser_like.post("/api/rocketchat/token").status_code == 200
        # The service's own page.
        own = browser_like.post("/api/rocketchat/token", headers={"Sec-Fetch-Site": "same-origin"})
        assert own.status_code == 200


def test_token_is_reused_not_minted_per_call(rc: Sandbox, service: RunningService) -> None:
    headers = service.bearer("alice")
    first = service.token(headers).json()
    again = [service.token(headers).json() for _ in range(5)]
    other_session = service.token(service.bearer("alice")).json()

    assert all(body == first for body in [*again, other_session])
    assert len([e for e in rc.events(kind="token-issued") if e["username"] == "alice"]) == 1


def test_revoked_token_is_replaced_after_the_recheck(rc: Sandbox, service: RunningService) -> None:
    headers = service.bearer("alice")
    first = service.token(headers).json()
    logout = httpx.post(
        f"{rc.url}/api/v1/logout", headers={"X-User-Id": first["userId"], "X-Auth-Token": first["authToken"]}
    )
    assert logout.status_code == 200

    service.clock.advance(service.config.token_revalidate_after or 0)
    second = service.token(headers).json()

    assert second["userId"] == first["userId"]
    assert second["authToken"] != first["authToken"]
    assert rc_me(rc, second["userId"], second["authToken"]).status_code == 200


def test_revalidate_hint_replaces_a_revoked_token_at_once(rc: Sandbox, service: RunningService) -> None:
    headers = service.bearer("alice")
    first = service.token(headers).json()
    logout = httpx.post(
        f"{rc.url}/api/v1/logout", headers={"X-User-Id": first["userId"], "X-Auth-Token": first["authToken"]}
    )
    assert logout.status_code == 200

    # Without the hint the cached token is still handed out until the periodic recheck...
    assert service.token(headers).json()["authToken"] == first["authToken"]
    # ...with it (the launcher saw Rocket.Chat refuse the token) it is dropped and replaced now.
    fresh = service.token(headers, params={"revalidate": "1"}).json()

    assert fresh["authToken"] != first["authToken"]
    assert rc_me(rc, fresh["userId"], fresh["authToken"]).status_code == 200


def test_revalidate_hint_drops_the_token_even_if_rocketchat_me_accepts_it(
    rc: Sandbox, service: RunningService
) -> None:
    """`/api/v1/me` cannot tell an expired token from a good one, so the launcher's word is taken: one new
    token, then reused as usual."""
    headers = service.bearer("alice")
    first = service.token(headers).json()

    again = service.token(headers, params={"revalidate": "1"}).json()
    after = service.token(headers).json()

    assert again["authToken"] != first["authToken"]
    assert after == again
    assert len([e for e in rc.events(kind="token-issued") if e["username"] == "alice"]) == 2


def test_token_is_reminted_before_accounts_login_expiration(
    rc: Sandbox, start_service: Callable[..., RunningService]
) -> None:
    rc.set_setting("Accounts_LoginExpiration", 1)  # one day; the reuse margin is then at most half of it
    service = start_service(session_lifetime=3 * 86400.0)
    headers = service.bearer("carol")
    first = service.token(headers).json()

    service.clock.advance(11 * 3600)
    assert service.token(headers).json() == first

    service.clock.advance(2 * 3600)
    second = service.token(headers).json()
    assert second["authToken"] != first["authToken"]
    assert rc_me(rc, second["userId"], second["authToken"]).status_code == 200


def test_user_that_already_exists_in_rocketchat_is_used(rc: Sandbox, service: RunningService) -> None:
    existing_id = rc.user_id("dave")
    resp = service.token(service.bearer("dave"))

    assert resp.status_code == 200
    assert resp.json()["userId"] == existing_id
    assert rc_me(rc, existing_id, resp.json()["authToken"]).json()["name"] == "Dave In RC"
    assert rc.events(kind="user-created") == []


def test_rocketchat_down_is_a_502_unreachable(rc: Sandbox, service: RunningService) -> None:
    headers = service.bearer("alice")
    rc.stop()
    try:
        resp = service.token(headers)
    finally:
        rc.start()

    assert resp.status_code == 502
    body = resp.json()
    assert body["error"] == "rocketchat_unreachable"
    assert rc.url in body["message"]
    # Once Rocket.Chat is back the same session gets its token.
    assert service.token(headers).status_code == 200


def test_wrong_create_tokens_secret_is_a_502_refused(
    rc: Sandbox, start_service: Callable[..., RunningService]
) -> None:
    service = start_service(create_tokens_secret="not-the-secret")
    resp = service.token(service.bearer("alice"))

    assert resp.status_code == 502
    body = resp.json()
    assert body["error"] == "rocketchat_refused"
    assert "createToken" in body["message"]
    assert "not-the-secret" not in resp.text


def test_wrong_service_password_is_a_502_refused(start_service: Callable[..., RunningService]) -> None:
    service = start_service(service_account=ServiceAccount(username="admin", password="wrong-admin-pw"))
    resp = service.token(service.bearer("alice"))

    assert resp.status_code == 502
    assert resp.json() == {
        "error": "rocketchat_refused",
        "message": "Rocket.Chat rejected the service account's username and password.",
    }


def test_service_account_by_user_id_and_token(
    rc: Sandbox, start_service: Callable[..., RunningService]
) -> None:
    admin_id, admin_token = rc.login_token("admin")
    service = start_service(service_account=ServiceAccount(user_id=admin_id, token=admin_token))
    headers = service.bearer("alice")
    resp = service.token(headers)
    assert resp.status_code == 200
    assert rc.events(kind="login") == []  # used the token directly, no password login

    logout = httpx.post(
        f"{rc.url}/api/v1/logout", headers={"X-User-Id": admin_id, "X-Auth-Token": admin_token}
    )
    assert logout.status_code == 200
    refused = service.token(service.bearer("bob"))
    assert refused.status_code == 502
    assert refused.json() == {
        "error": "rocketchat_refused",
        "message": "Rocket.Chat rejected the service account's user id and token.",
    }


def test_service_account_logs_in_again_after_its_token_is_revoked(
    rc: Sandbox, service: RunningService
) -> None:
    assert service.token(service.bearer("alice")).status_code == 200
    assert len(rc.events(kind="login")) == 1
    # An administrator signs the service account out everywhere.
    admin = rc.state.store.by_username("admin")
    for stored in list(admin.tokens):
        rc.state.store.remove_token(admin, stored)

    resp = service.token(service.bearer("bob"))

    assert resp.status_code == 200
    assert rc_me(rc, resp.json()["userId"], resp.json()["authToken"]).status_code == 200
    assert [e["username"] for e in rc.events(kind="login")] == ["admin", "admin"]


def test_service_account_without_create_user_permission(
    rc: Sandbox, start_service: Callable[..., RunningService]
) -> None:
    rc.add_user(SandboxUser(username="weakbot", password="weakbot-pw", roles=["user"]))
    service = start_service(service_account=ServiceAccount(username="weakbot", password="weakbot-pw"))
    resp = service.token(service.bearer("alice"))

    assert resp.status_code == 502
    assert resp.json()["error"] == "rocketchat_refused"
    assert "create-user permission" in resp.json()["message"]


def test_email_taken_by_another_rocketchat_account(rc: Sandbox, service: RunningService) -> None:
    rc.add_user(SandboxUser(username="carol.old", password="x-pw", email="carol@example.com"))
    resp = service.token(service.bearer("carol"))

    assert resp.status_code == 502
    body = resp.json()
    assert body["error"] == "rocketchat_refused"
    assert "taken by another account" in body["message"]
