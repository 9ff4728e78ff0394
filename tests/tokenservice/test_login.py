"""POST /api/login and /api/logout: sessions, cookie attributes, errors, expiry and throttling."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tokenservice.config import CookieSettings
from tokenservice.directory import UsersFileDirectory
from tokenservice.throttle import ThrottleSettings

from .conftest import EMPLOYEES, RunningService, write_users_file

pytestmark = pytest.mark.real


def test_login_gives_bearer_and_httponly_cookie(service: RunningService) -> None:
    resp = service.login("alice")

    assert resp.status_code == 200
    body = resp.json()
    assert body["token_type"] == "bearer"
    assert body["username"] == "alice"
    assert body["expires_in"] == int(service.config.session_lifetime)
    assert len(body["access_token"]) >= 40
    cookie = resp.headers["set-cookie"]
    assert cookie.startswith(f"ts_session={body['access_token']};")
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {
        "httponly",
        "path=/",
        "samesite=lax",
        f"max-age={int(service.config.session_lifetime)}",
    } <= attributes
    assert "secure" not in attributes
    assert resp.headers["cache-control"] == "no-store"


def test_cookie_settings_are_applied(start_service: Callable[..., RunningService]) -> None:
    service = start_service(
        cookie=CookieSettings(name="__Host-org", secure=True, samesite="none", path="/", max_age=600)
    )
    cookie = service.login("alice").headers["set-cookie"]
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert cookie.startswith("__Host-org=")
    assert {"secure", "samesite=none", "max-age=600", "httponly"} <= attributes


def test_username_matches_case_insensitively_and_reports_canonical_name(service: RunningService) -> None:
    resp = service.login("ALICE", "alice-pw")
    assert resp.status_code == 200
    assert resp.json()["username"] == "alice"


def test_wrong_password_and_unknown_user_are_the_same_401(service: RunningService) -> None:
    wrong = service.login("alice", "not-her-password")
    unknown = service.login("mallory", "whatever")

    for resp in (wrong, unknown):
        assert resp.status_code == 401
        assert resp.json() == {
            "error": "invalid_credentials",
            "message": "The username or password is wrong.",
        }
        assert "set-cookie" not in resp.headers


def test_malformed_login_requests_get_400(service: RunningService) -> None:
    url = f"{service.url}/api/login"
    cases = [
        httpx.post(url, data={"username": "alice", "password": "alice-pw"}),  # a form, not JSON
        httpx.post(url, content=b"{not json", headers={"Content-Type": "application/json"}),
        httpx.post(url, json=["alice", "alice-pw"]),
        httpx.post(url, json={"username": "alice"}),
        httpx.post(url, json={"username": "alice", "password": 12345}),
        httpx.post(url, json={"username": "  ", "password": "x"}),
    ]
    for resp in cases:
        assert resp.status_code == 400, resp.text
        body = resp.json()
        assert body["error"] == "invalid_request"
        assert body["message"].endswith(".")


def test_logout_ends_the_session_for_bearer_and_cookie(service: RunningService) -> None:
    headers = service.bearer("alice")
    assert service.token(headers).status_code == 200

    out = httpx.post(f"{service.url}/api/logout", headers=headers)
    assert out.status_code == 200
    assert out.json() == {"ok": True}
    assert 'ts_session=""' in out.headers["set-cookie"] or "Max-Age=0" in out.headers["set-cookie"]

    after = service.token(headers)
    assert after.status_code == 401
    assert after.json()["error"] == "invalid_session"


@contextlib.contextmanager
def _browser_signed_in(service: RunningService, username: str = "bob") -> Iterator[tuple[httpx.Client, str]]:
    """A cookie-keeping client, like a browser that signed in; yields it and its session token."""
    with httpx.Client(base_url=service.url) as browser_like:
        resp = browser_like.post("/api/login", json={"username": username, "password": f"{username}-pw"})
        assert resp.status_code == 200
        yield browser_like, resp.json()["access_token"]


def _session_alive(service: RunningService, token: str) -> bool:
    return service.token({"Authorization": f"Bearer {token}"}).status_code == 200


def test_logout_with_cookie_from_the_service_own_page_or_the_launcher(service: RunningService) -> None:
    # The launcher's cookie mode sends the cookie itself, with no browser headers: no site can cause that.
    for same_origin in ({"Origin": service.url}, {"Sec-Fetch-Site": "same-origin"}, {}):
        with _browser_signed_in(service) as (browser_like, token):
            assert browser_like.post("/api/logout", headers=same_origin).status_code == 200
            assert "ts_session" not in browser_like.cookies
        assert not _session_alive(service, token)


def test_cookie_logout_from_another_site_is_refused(service: RunningService) -> None:
    """A page elsewhere cannot end (or otherwise use) the session the browser's cookie carries."""
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    cross_site = [
        {"Origin": "https://evil.example", **form},
        {"Origin": "null", **form},  # a sandboxed frame or a redirect
        {"Sec-Fetch-Site": "cross-site", **form},
        {"Sec-Fetch-Site": "same-site", "Origin": "https://other.example.com"},
    ]
    with _browser_signed_in(service) as (browser_like, token):
        for headers in cross_site:
            resp = browser_like.post("/api/logout", headers=headers, content=b"x=1")
            assert resp.status_code == 403, headers
            assert resp.json()["error"] == "origin_not_allowed"
            assert "set-cookie" not in resp.headers
    assert _session_alive(service, token)


def test_bearer_logout_needs_no_origin_check(service: RunningService) -> None:
    headers = service.bearer("alice")
    out = httpx.post(f"{service.url}/api/logout", headers={"Origin": "https://evil.example", **headers})
    assert out.status_code == 200
    assert service.token(headers).status_code == 401


def test_missing_or_garbage_session_is_invalid(service: RunningService) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-session"}, {"Authorization": "Basic YWxpY2U6eA=="}):
        resp = service.token(headers)
        assert resp.status_code == 401
        assert resp.json()["error"] == "invalid_session"


def test_session_expires(service: RunningService) -> None:
    headers = service.bearer("alice")
    assert service.token(headers).status_code == 200

    service.clock.advance(service.config.session_lifetime + 1)

    resp = service.token(headers)
    assert resp.status_code == 401
    assert resp.json() == {"error": "session_expired", "message": "The session has expired; sign in again."}


def test_failed_logins_are_throttled_per_username(start_service: Callable[..., RunningService]) -> None:
    service = start_service(
        throttle=ThrottleSettings(max_failures_per_username=3, max_failures_per_address=100, window=60)
    )
    for _ in range(3):
        assert service.login("alice", "guess").status_code == 401

    blocked = service.login("alice")  # even the right password waits now
    assert blocked.status_code == 429
    body = blocked.json()
    assert body["error"] == "too_many_attempts"
    assert 1 <= body["retry_after"] <= 60
    assert blocked.headers["retry-after"] == str(body["retry_after"])
    assert service.login("bob").status_code == 200  # other employees are unaffected

    service.clock.advance(body["retry_after"])
    assert service.login("alice").status_code == 200


def test_failed_logins_are_throttled_per_address(start_service: Callable[..., RunningService]) -> None:
    service = start_service(
        throttle=ThrottleSettings(max_failures_per_username=100, max_failures_per_address=4, window=60)
    )
    for name in ("alice", "bob", "carol", "nobody"):
        assert service.login(name, "spray").status_code == 401

    resp = service.login("dave")
    assert resp.status_code == 429
    assert resp.json()["error"] == "too_many_attempts"


def test_success_clears_the_username_failures(start_service: Callable[..., RunningService]) -> None:
    service = start_service(
        throttle=ThrottleSettings(max_failures_per_username=3, max_failures_per_address=100, window=60)
    )
    for _ in range(2):
        assert service.login("alice", "typo").status_code == 401
    assert service.login("alice").status_code == 200
    for _ in range(2):
        assert service.login("alice", "typo").status_code == 401
    assert service.login("alice").status_code == 200


def test_removed_employee_loses_access(start_service: Callable[..., RunningService], tmp_path: Path) -> None:
    users = write_users_file(tmp_path / "users.toml", {"alice": EMPLOYEES["alice"], "bob": EMPLOYEES["bob"]})
    service = start_service(directory=UsersFileDirectory(users))
    headers = service.bearer("bob")
    write_users_file(users, {"alice": EMPLOYEES["alice"], "extra": ("x-pw", "X", "x@example.com")})

    resp = service.token(headers)
    assert resp.status_code == 401
    assert resp.json()["error"] == "invalid_session"
    assert "no longer in the employee directory" in resp.json()["message"]


def _server_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("tokenservice") and r.threadName != "MainThread"]


def test_deeply_nested_json_is_a_400_logged_in_one_line(
    service: RunningService, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tokenservice")
    depth = 4000  # deeper than the JSON parser can recurse, still under the body cap
    resp = httpx.post(
        f"{service.url}/api/login",
        content=b"[" * depth + b"]" * depth,
        headers={"Content-Type": "application/json"},
    )

    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_request"
    records = _server_records(caplog)
    assert [r.levelno for r in records] == [logging.INFO]
    assert records[0].exc_info is None and "\n" not in records[0].getMessage()


def test_a_password_that_is_not_valid_text_is_a_400_and_a_failed_attempt(
    start_service: Callable[..., RunningService], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tokenservice")
    service = start_service(
        throttle=ThrottleSettings(max_failures_per_username=2, max_failures_per_address=100, window=60)
    )
    # A lone surrogate, escaped in JSON: valid JSON, but no UTF-8 encoding exists for it.
    lone_surrogate = b'{"username": "alice", "password": "pw\\ud800"}'
    for _ in range(2):
        resp = httpx.post(
            f"{service.url}/api/login", content=lone_surrogate, headers={"Content-Type": "application/json"}
        )
        assert resp.status_code == 400
        assert resp.json()["error"] == "invalid_request"

    assert service.login("alice").status_code == 429  # both counted toward the throttle
    records = _server_records(caplog)
    assert not [r for r in records if r.exc_info or r.levelno >= logging.ERROR]
    assert all("\n" not in r.getMessage() for r in records)


@pytest.mark.parametrize("path", ["/login/", "/api/login/", "/healthz/"])
def test_a_trailing_slash_is_not_redirected_to_the_host_header(service: RunningService, path: str) -> None:
    # Security item L6: a slash redirect built its Location from Host, so `Host: evil.example` sent people there
    resp = httpx.get(f"{service.url}{path}", headers={"Host": "evil.example"}, follow_redirects=False)
    assert resp.status_code == 404
    assert "location" not in resp.headers
    assert "evil.example" not in resp.text
