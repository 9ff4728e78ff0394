"""users.info, users.create and users.createToken (see docs/rocketchat-contract.md)."""

from __future__ import annotations

import re

import httpx
import pytest

from rcsandbox import Sandbox

from .conftest import SECRET, auth_headers, in_process, login, make_config

NEW_USER = {"username": "carol", "name": "Carol Poe", "email": "carol@example.com", "password": "carol-pw"}


# users.info -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["userId", "username", "email"])
def test_users_info_finds_by_each_key(rc: Sandbox, http: httpx.Client, key: str) -> None:
    value = {"userId": rc.user_id("bob"), "username": "bob", "email": "bob@example.com"}[key]
    response = http.get("/api/v1/users.info", params={key: value}, headers=login(http, "alice", "alice-pw"))
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["user"]["username"] == "bob" and body["user"]["name"] == "Bob Roe"
    assert "services" not in body["user"]


def test_users_info_unknown_user_is_400_user_not_found(http: httpx.Client) -> None:
    response = http.get(
        "/api/v1/users.info", params={"username": "zed"}, headers=login(http, "alice", "alice-pw")
    )
    assert response.status_code == 400 and response.json() == {"success": False, "error": "User not found."}


def test_users_info_without_search_term_is_invalid_search_query(http: httpx.Client) -> None:
    response = http.get("/api/v1/users.info", headers=login(http, "alice", "alice-pw"))
    assert response.status_code == 400 and response.json() == {
        "success": False,
        "error": "Invalid search query.",
    }


def test_users_info_with_two_keys_is_invalid_params(http: httpx.Client) -> None:
    response = http.get(
        "/api/v1/users.info",
        params={"username": "bob", "userId": "x"},
        headers=login(http, "alice", "alice-pw"),
    )
    assert response.status_code == 400 and response.json()["errorType"] == "error-invalid-params"


def test_users_info_needs_auth(http: httpx.Client) -> None:
    assert http.get("/api/v1/users.info", params={"username": "bob"}).status_code == 401


# users.create ---------------------------------------------------------------------------------------------
def test_admin_creates_a_user_who_can_log_in(rc: Sandbox, http: httpx.Client) -> None:
    response = http.post(
        "/api/v1/users.create", json={**NEW_USER, "roles": ["user"]}, headers=login(http, "admin", "admin-pw")
    )
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["user"]["username"] == "carol"
    assert body["user"]["_id"] == rc.user_id("carol")
    assert re.fullmatch(r"[A-Za-z0-9]{17}", body["user"]["_id"])
    login(http, "carol", "carol-pw")
    created = rc.events("user-created")[-1]
    assert created["username"] == "carol" and created["by"] == "admin"


@pytest.mark.parametrize(
    ("change", "field"),
    [({"username": "alice"}, "alice"), ({"email": "alice@example.com"}, "alice@example.com")],
    ids=["username", "email"],
)
def test_taken_username_or_email_is_error_field_unavailable(
    http: httpx.Client, change: dict, field: str
) -> None:
    response = http.post(
        "/api/v1/users.create", json={**NEW_USER, **change}, headers=login(http, "admin", "admin-pw")
    )
    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": f"{field} is already in use :( [error-field-unavailable]",
        "errorType": "error-field-unavailable",
        "details": {"method": "insertOrUpdateUser", "field": field},
    }


def test_non_admin_may_not_create_users(http: httpx.Client) -> None:
    response = http.post("/api/v1/users.create", json=NEW_USER, headers=login(http, "alice", "alice-pw"))
    assert response.status_code == 400
    body = response.json()
    assert body["errorType"] == "error-action-not-allowed"
    assert body["error"] == "Adding user is not allowed [error-action-not-allowed]"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({k: v for k, v in NEW_USER.items() if k != "email"}, "must have required property 'email'"),
        ({**NEW_USER, "name": 5}, "must be string"),
        ({**NEW_USER, "verified": "yes"}, "must be boolean"),
        ({**NEW_USER, "shoeSize": 44}, "must NOT have additional properties"),
    ],
    ids=["missing", "wrong-type", "wrong-bool", "extra"],
)
def test_users_create_schema_violations_are_invalid_params(
    http: httpx.Client, body: dict, message: str
) -> None:
    response = http.post("/api/v1/users.create", json=body, headers=login(http, "admin", "admin-pw"))
    assert response.status_code == 400
    assert response.json() == {"success": False, "errorType": "invalid-params", "error": message}


@pytest.mark.parametrize(
    ("change", "error_type"),
    [
        ({"username": "bad name!"}, "error-input-is-not-a-valid-field"),
        ({"email": "not-an-email"}, "error-invalid-email"),
        ({"name": "  "}, "error-the-field-is-required"),
    ],
)
def test_users_create_field_checks(http: httpx.Client, change: dict, error_type: str) -> None:
    response = http.post(
        "/api/v1/users.create", json={**NEW_USER, **change}, headers=login(http, "admin", "admin-pw")
    )
    assert response.status_code == 400 and response.json()["errorType"] == error_type
    assert response.json()["error"].endswith(f"[{error_type}]")


def test_users_create_malformed_json_and_no_auth(http: httpx.Client) -> None:
    headers = {**login(http, "admin", "admin-pw"), "Content-Type": "application/json"}
    assert (
        http.post("/api/v1/users.create", content=b"{", headers=headers).json()["errorType"]
        == "invalid-params"
    )
    assert http.post("/api/v1/users.create", json=NEW_USER).status_code == 401


# users.createToken ----------------------------------------------------------------------------------------
def test_admin_mints_a_token_for_another_user(rc: Sandbox, http: httpx.Client) -> None:
    alice = rc.user_id("alice")
    response = http.post(
        "/api/v1/users.createToken",
        json={"userId": alice, "secret": SECRET},
        headers=login(http, "admin", "admin-pw"),
    )
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["data"]["userId"] == alice
    token = body["data"]["authToken"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)
    assert http.get("/api/v1/me", headers=auth_headers(alice or "", token)).json()["username"] == "alice"
    issued = rc.events("token-issued")[-1]
    assert issued["username"] == "alice" and issued["by"] == "admin" and token not in str(rc.events())


def test_a_user_may_mint_a_token_for_themself(rc: Sandbox, http: httpx.Client) -> None:
    body = {"userId": rc.user_id("alice"), "secret": SECRET}
    response = http.post("/api/v1/users.createToken", json=body, headers=login(http, "alice", "alice-pw"))
    assert response.status_code == 200


NOT_AUTHORIZED = {
    "success": False,
    "error": "Not authorized [error-not-authorized]",
    "errorType": "error-not-authorized",
}


def test_wrong_secret_and_missing_permission_are_refused_the_same_way(
    rc: Sandbox, http: httpx.Client
) -> None:
    admin = login(http, "admin", "admin-pw")
    wrong = http.post(
        "/api/v1/users.createToken", json={"userId": rc.user_id("alice"), "secret": "nope"}, headers=admin
    )
    bob = login(http, "bob", "bob-pw")
    other = http.post(
        "/api/v1/users.createToken", json={"userId": rc.user_id("alice"), "secret": SECRET}, headers=bob
    )
    for response in (wrong, other):
        assert response.status_code == 400 and response.json() == NOT_AUTHORIZED
    assert [e["reason"] for e in rc.events("token-refused")] == ["secret", "permission"]


def test_without_configured_secret_create_token_is_refused() -> None:
    with in_process(make_config(create_tokens_secret=None)) as (rc, http):
        body = {"userId": rc.user_id("alice"), "secret": "anything"}
        response = http.post("/api/v1/users.createToken", json=body, headers=login(http, "admin", "admin-pw"))
        assert response.status_code == 400 and response.json() == NOT_AUTHORIZED


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"userId": "x"}, "must have required property 'secret'"),
        ({"secret": SECRET}, "must have required property 'userId'"),
        ({"userId": "x", "secret": ""}, "must NOT have fewer than 1 characters"),
        (
            {"username": "alice", "secret": SECRET},
            "must have required property 'userId'\n must NOT have additional properties",
        ),
    ],
    ids=["no-secret", "no-user-id", "empty-secret", "username-instead"],
)
def test_create_token_schema_violations(http: httpx.Client, body: dict, message: str) -> None:
    response = http.post("/api/v1/users.createToken", json=body, headers=login(http, "admin", "admin-pw"))
    assert response.status_code == 400
    assert response.json() == {"success": False, "errorType": "invalid-params", "error": message}


def test_create_token_for_unknown_user_and_without_auth(http: httpx.Client) -> None:
    response = http.post(
        "/api/v1/users.createToken",
        json={"userId": "x" * 17, "secret": SECRET},
        headers=login(http, "admin", "admin-pw"),
    )
    assert response.status_code == 400 and response.json()["errorType"] == "error-invalid-user"
    assert http.post("/api/v1/users.createToken", json={"userId": "x", "secret": SECRET}).status_code == 401
