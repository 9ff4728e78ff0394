"""Header auth, /me and /logout (see docs/rocketchat-contract.md)."""

from __future__ import annotations

import httpx
import pytest

from rcsandbox import Sandbox

from .conftest import auth_headers, login

UNAUTHORIZED = {
    "success": False,
    "error": "You must be logged in to do this.",
    "status": "error",
    "message": "You must be logged in to do this.",
}


def test_me_returns_the_user_with_success(rc: Sandbox, http: httpx.Client) -> None:
    response = http.get("/api/v1/me", headers=login(http, "alice", "alice-pw"))
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["_id"] == rc.user_id("alice")
    assert body["username"] == "alice" and body["email"] == "alice@example.com"
    assert body["services"] == {"password": {"exists": True}}


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-User-Id": "x"}, {"X-Auth-Token": "y"}, {"X-User-Id": "nope", "X-Auth-Token": "nope"}],
    ids=["none", "only-user", "only-token", "unknown"],
)
def test_me_without_valid_headers_is_401(http: httpx.Client, headers: dict) -> None:
    response = http.get("/api/v1/me", headers=headers)
    assert response.status_code == 401 and response.json() == UNAUTHORIZED


def test_token_of_another_user_id_is_refused(rc: Sandbox, http: httpx.Client) -> None:
    _, token = rc.login_token("alice")
    response = http.get("/api/v1/me", headers=auth_headers(rc.user_id("bob") or "", token))
    assert response.status_code == 401


def test_rest_header_auth_does_not_check_expiry(rc: Sandbox, http: httpx.Client) -> None:
    """An expired token keeps working over REST; only resume login refuses it."""
    user_id, token = rc.login_token("alice")
    rc.expire_tokens("alice")
    assert http.get("/api/v1/me", headers=auth_headers(user_id, token)).status_code == 200
    assert http.post("/api/v1/login", json={"resume": token}).status_code == 401


def test_logout_removes_only_that_token(rc: Sandbox, http: httpx.Client) -> None:
    first = login(http, "alice", "alice-pw")
    second = login(http, "alice", "alice-pw")
    response = http.post("/api/v1/logout", headers=first)
    assert response.status_code == 200
    assert response.json() == {
        "status": "success",
        "data": {"message": "You've been logged out!"},
        "success": True,
    }
    assert http.get("/api/v1/me", headers=first).status_code == 401
    assert http.get("/api/v1/me", headers=second).status_code == 200
    resumed = http.post("/api/v1/login", json={"resume": first["X-Auth-Token"]})
    assert resumed.status_code == 401 and resumed.json()["error"] == 403
    assert rc.events("logout")[-1]["username"] == "alice"


def test_logout_without_auth_is_401(http: httpx.Client) -> None:
    response = http.post("/api/v1/logout")
    assert response.status_code == 401 and response.json() == UNAUTHORIZED


def test_unknown_api_route_and_wrong_method_are_json_404(http: httpx.Client) -> None:
    for response in (http.get("/api/v1/nope"), http.get("/api/v1/login"), http.delete("/api/v1/me")):
        assert response.status_code == 404
        assert response.json()["success"] is False
