"""POST /api/v1/login: every body form and every error shape (docs/rocketchat-contract.md#login)."""

from __future__ import annotations

import hashlib
import re
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from rcsandbox import ConfigError, Sandbox

from .conftest import in_process, make_config

LOGGED_OUT = "You've been logged out by the server. Please log in again."
EXPIRED = "Your session has expired. Please log in again."


def _unauthorized_body(error: object, message: str) -> dict[str, object]:
    return {"success": False, "error": error, "status": "error", "message": message}


@pytest.mark.parametrize(
    "body",
    [
        {"user": "alice", "password": "alice-pw"},
        {"user": "alice@example.com", "password": "alice-pw"},
        {"username": "alice", "password": "alice-pw"},
        {"email": "ALICE@example.com", "password": "alice-pw"},
        {
            "user": "alice",
            "password": {"digest": hashlib.sha256(b"alice-pw").hexdigest(), "algorithm": "sha-256"},
        },
    ],
    ids=["user", "user-as-email", "username", "email", "digest"],
)
def test_password_login_returns_meteor_token_and_me(rc: Sandbox, http: httpx.Client, body: dict) -> None:
    response = http.post("/api/v1/login", json=body)
    assert response.status_code == 200
    payload = response.json()
    assert payload["status"] == "success" and payload["success"] is True
    data = payload["data"]
    assert data["userId"] == rc.user_id("alice")
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", data["authToken"])
    assert data["me"]["username"] == "alice" and data["me"]["name"] == "Alice Doe"
    assert "password" not in str(data["me"]).replace("'password': {'exists': True}", "")
    login = rc.events("login")[-1]
    assert login["method"] == "password" and login["username"] == "alice"
    assert data["authToken"] not in str(rc.events())


@pytest.mark.parametrize(
    "body",
    [{"user": "alice", "password": "wrong"}, {"user": "nobody", "password": "alice-pw"}],
    ids=["wrong-password", "unknown-user"],
)
def test_bad_credentials_are_401_unauthorized(rc: Sandbox, http: httpx.Client, body: dict) -> None:
    response = http.post("/api/v1/login", json=body)
    assert response.status_code == 401
    assert response.json() == _unauthorized_body("Unauthorized", "Unauthorized")
    assert rc.events("login-failed")[-1]["method"] == "password"


@pytest.mark.parametrize(
    "body",
    [{"user": "alice"}, {"password": "alice-pw"}, {"user": 5, "password": "alice-pw"}, {}],
    ids=["no-password", "no-user", "user-not-string", "empty"],
)
def test_unrecognized_login_options_are_401_with_error_400(http: httpx.Client, body: dict) -> None:
    response = http.post("/api/v1/login", json=body)
    assert response.status_code == 401
    assert response.json() == _unauthorized_body(400, "Unrecognized options for login request")


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"text"'], ids=["malformed", "array", "string"])
def test_non_object_body_is_400_invalid_params(http: httpx.Client, raw: bytes) -> None:
    response = http.post("/api/v1/login", content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False and body["errorType"] == "invalid-params" and body["error"]


def test_resume_login_returns_the_same_token_and_keeps_its_expiry(rc: Sandbox, http: httpx.Client) -> None:
    user_id, token = rc.login_token("alice")
    first = http.post("/api/v1/login", json={"resume": token})
    assert first.status_code == 200
    assert first.json()["data"]["authToken"] == token and first.json()["data"]["userId"] == user_id
    expires = first.headers["X-Sandbox-Token-Expires"]
    second = http.post("/api/v1/login", json={"resume": token})
    assert second.headers["X-Sandbox-Token-Expires"] == expires
    assert rc.events("login")[-1]["method"] == "resume"


def test_resume_with_unknown_token_is_logged_out_by_server(rc: Sandbox, http: httpx.Client) -> None:
    response = http.post("/api/v1/login", json={"resume": "x" * 43})
    assert response.status_code == 401
    assert response.json() == _unauthorized_body(403, LOGGED_OUT)


def test_resume_with_non_string_token_is_match_failed(http: httpx.Client) -> None:
    response = http.post("/api/v1/login", json={"resume": 123})
    assert response.status_code == 401
    assert response.json() == _unauthorized_body(400, "Match failed")


def test_resume_with_expired_token_says_session_expired(rc: Sandbox, http: httpx.Client) -> None:
    _, token = rc.login_token("alice")
    rc.expire_tokens("alice")
    response = http.post("/api/v1/login", json={"resume": token})
    assert response.status_code == 401
    assert response.json() == _unauthorized_body(403, EXPIRED)
    failed = rc.events("login-failed")[-1]
    assert failed["reason"] == EXPIRED and failed["username"] == "alice"
    assert token not in str(rc.events())


def test_token_expires_after_login_expiration_setting_changes(rc: Sandbox, http: httpx.Client) -> None:
    _, token = rc.login_token("alice")
    rc.set_setting("Accounts_LoginExpiration", 0.5 / 86400)  # half a second, in days
    deadline = time.monotonic() + 5
    while http.post("/api/v1/login", json={"resume": token}).status_code == 200:
        assert time.monotonic() < deadline, "the token never expired"
        time.sleep(0.1)
    assert http.post("/api/v1/login", json={"resume": token}).json()["message"] == EXPIRED


def test_non_positive_login_expiration_means_90_days(rc: Sandbox, http: httpx.Client) -> None:
    _, token = rc.login_token("alice")
    rc.set_setting("Accounts_LoginExpiration", 0)
    response = http.post("/api/v1/login", json={"resume": token})
    assert response.status_code == 200
    expires = response.headers["X-Sandbox-Token-Expires"]
    assert expires[:4] >= time.strftime("%Y") and expires.endswith("Z")


def test_web_client_login_method_header_is_logged(rc: Sandbox, http: httpx.Client) -> None:
    _, token = rc.login_token("alice")
    http.post("/api/v1/login", json={"resume": token}, headers={"X-Sandbox-Login-Method": "iframe-command"})
    event = rc.events("login")[-1]
    assert event["method"] == "iframe-command" and event["client"] == "web"


def test_iframe_token_login_fails_unless_configured(rc: Sandbox, http: httpx.Client) -> None:
    refused = http.post("/api/v1/login", json={"iframe": True, "token": "org-opaque"})
    assert refused.status_code == 401
    assert refused.json() == _unauthorized_body(400, "Unrecognized options for login request")
    rc.set_iframe_token("org-opaque", "bob")
    accepted = http.post("/api/v1/login", json={"iframe": True, "token": "org-opaque"})
    assert accepted.status_code == 200 and accepted.json()["data"]["userId"] == rc.user_id("bob")
    assert rc.events("login")[-1]["method"] == "iframe-auth"


def test_login_rate_limit_answers_429_with_ratelimit_headers() -> None:
    with in_process(make_config(login_rate_limit=3, login_rate_window=60.0)) as (rc, http):
        answers = [http.post("/api/v1/login", json={"user": "alice", "password": "wrong"}) for _ in range(4)]
        assert [a.status_code for a in answers] == [401, 401, 401, 429]
        assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
        assert all(a.headers["X-RateLimit-Limit"] == "3" for a in answers)
        reset_ms = int(answers[-1].headers["X-RateLimit-Reset"])
        assert 0 < reset_ms - time.time() * 1000 <= 60_000
        body = answers[-1].json()
        assert body["success"] is False
        assert re.fullmatch(
            r"Error, too many requests\. Please slow down\. You must wait \d+ seconds before trying this "
            r"endpoint again\. \[error-too-many-requests\]",
            body["error"],
        )
        # A correct password is refused too while the window lasts; other routes have their own counts.
        assert http.post("/api/v1/login", json={"user": "alice", "password": "alice-pw"}).status_code == 429
        assert http.get("/api/info").status_code == 200
        assert rc.events("rate-limited")


def test_login_rate_window_resets() -> None:
    with in_process(make_config(login_rate_limit=1, login_rate_window=0.5)) as (rc, http):
        assert http.post("/api/v1/login", json={"user": "alice", "password": "alice-pw"}).status_code == 200
        assert http.post("/api/v1/login", json={"user": "alice", "password": "alice-pw"}).status_code == 429
        deadline = time.monotonic() + 5
        while http.post("/api/v1/login", json={"user": "alice", "password": "alice-pw"}).status_code == 429:
            assert time.monotonic() < deadline, "the rate-limit window never reset"
            time.sleep(0.1)
        rc.set_setting("API_Enable_Rate_Limiter", False)
        codes = {
            http.post("/api/v1/login", json={"user": "alice", "password": "x"}).status_code for _ in range(3)
        }
        assert codes == {401}


@pytest.mark.real  # other callers are answered while one waits: concurrency over the socket
def test_resume_delay_holds_back_only_the_pages_resume_logins_without_blocking_the_server() -> None:
    with Sandbox(make_config(resume_delay=1.0)) as rc:
        _, token = rc.login_token("alice")
        started = time.monotonic()
        rest = httpx.post(rc.url + "/api/v1/login", json={"resume": token})
        assert rest.status_code == 200 and time.monotonic() - started < 0.8  # REST clients: no DDP

        def page_resume() -> httpx.Response:
            return httpx.post(
                rc.url + "/api/v1/login",
                json={"resume": token},
                headers={"X-Sandbox-Login-Method": "resume"},
                timeout=10,
            )

        with ThreadPoolExecutor(1) as pool:
            started = time.monotonic()
            pending = pool.submit(page_resume)
            time.sleep(0.2)
            # While that login waits, the server answers others at once (an asyncio sleep, not a block).
            assert httpx.get(rc.url + "/api/info").status_code == 200
            assert time.monotonic() - started < 0.8 and not pending.done()
            assert pending.result().status_code == 200
            assert time.monotonic() - started >= 1.0
        rc.set_resume_delay(0)
        started = time.monotonic()
        assert page_resume().status_code == 200 and time.monotonic() - started < 0.8
        with pytest.raises(ConfigError):
            rc.set_resume_delay(-1)
