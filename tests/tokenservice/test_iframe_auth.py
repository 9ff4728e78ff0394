"""Flow 2 over plain HTTP: /api/rocketchat/iframe-auth, its CORS answers, and the /login page headers.

The browser test (test_iframe_browser.py) runs the same flow through Rocket.Chat's web client.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import httpx
import pytest

from rcsandbox import Sandbox

from .conftest import RunningService, rc_me

pytestmark = pytest.mark.real

WRONG_ORIGIN = "http://evil.example"


@contextlib.contextmanager
def _signed_in_client(service: RunningService, username: str = "alice") -> Iterator[httpx.Client]:
    """A cookie-keeping client, like a browser that signed in on the /login page."""
    with httpx.Client(base_url=service.url) as client:
        resp = client.post("/api/login", json={"username": username, "password": f"{username}-pw"})
        assert resp.status_code == 200
        yield client


def test_iframe_auth_returns_a_login_token_with_cors_for_rocketchat(
    rc: Sandbox, service: RunningService
) -> None:
    with _signed_in_client(service) as client:
        for method in ("POST", "GET"):
            resp = client.request(method, "/api/rocketchat/iframe-auth", headers={"Origin": rc.origin})

            assert resp.status_code == 200
            body = resp.json()
            assert set(body) == {"loginToken"}
            assert resp.headers["access-control-allow-origin"] == rc.origin
            assert resp.headers["access-control-allow-credentials"] == "true"
            assert "Origin" in resp.headers["vary"]

    # Rocket.Chat performs a resume login with it.
    login = httpx.post(f"{rc.url}/api/v1/login", json={"resume": body["loginToken"]})
    assert login.status_code == 200
    assert login.json()["data"]["me"]["username"] == "alice"


def test_iframe_auth_without_session_is_401_readable_by_rocketchat(
    rc: Sandbox, service: RunningService
) -> None:
    resp = httpx.post(f"{service.url}/api/rocketchat/iframe-auth", headers={"Origin": rc.origin})

    assert resp.status_code == 401
    assert resp.json()["error"] == "invalid_session"
    assert resp.headers["access-control-allow-origin"] == rc.origin


def test_iframe_auth_ignores_the_bearer(rc: Sandbox, service: RunningService) -> None:
    """Only the browser's cookie counts here; a bearer is the launcher's flow."""
    resp = httpx.post(
        f"{service.url}/api/rocketchat/iframe-auth", headers={"Origin": rc.origin, **service.bearer("alice")}
    )
    assert resp.status_code == 401


def test_iframe_auth_from_a_wrong_origin_gets_no_token_and_no_cors(service: RunningService) -> None:
    with _signed_in_client(service) as client:
        resp = client.post("/api/rocketchat/iframe-auth", headers={"Origin": WRONG_ORIGIN})

    assert resp.status_code == 403
    assert resp.json()["error"] == "origin_not_allowed"
    assert "loginToken" not in resp.text
    assert "access-control-allow-origin" not in resp.headers
    assert "access-control-allow-credentials" not in resp.headers


def test_iframe_auth_post_without_an_origin_is_refused(service: RunningService) -> None:
    """Every browser sends Origin on Rocket.Chat's cross-origin POST; one without it is someone else."""
    with _signed_in_client(service) as client:
        for headers in ({}, {"Sec-Fetch-Site": "same-origin"}, {"Origin": service.url}):
            resp = client.post("/api/rocketchat/iframe-auth", headers=headers)
            assert resp.status_code == 403, headers
            assert resp.json()["error"] == "origin_not_allowed"
            assert "loginToken" not in resp.text


def test_iframe_auth_get_from_another_site_is_refused(rc: Sandbox, service: RunningService) -> None:
    with _signed_in_client(service) as client:
        for site in ("cross-site", "same-site"):
            resp = client.get("/api/rocketchat/iframe-auth", headers={"Sec-Fetch-Site": site})
            assert resp.status_code == 403, site
            assert "loginToken" not in resp.text
        # Rocket.Chat's page (it sends its Origin) and a client that is no browser still get the token.
        from_rc = client.get(
            "/api/rocketchat/iframe-auth", headers={"Origin": rc.origin, "Sec-Fetch-Site": "same-site"}
        )
        assert from_rc.status_code == 200
        assert client.get("/api/rocketchat/iframe-auth").status_code == 200


def test_preflight_from_rocketchat_is_granted(rc: Sandbox, service: RunningService) -> None:
    resp = httpx.options(
        f"{service.url}/api/rocketchat/iframe-auth",
        headers={
            "Origin": rc.origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )

    assert resp.status_code == 204
    assert resp.headers["access-control-allow-origin"] == rc.origin
    assert resp.headers["access-control-allow-credentials"] == "true"
    assert "POST" in resp.headers["access-control-allow-methods"]
    assert resp.headers["access-control-allow-headers"] == "content-type"
    assert "Origin" in resp.headers["vary"]
    assert resp.headers["access-control-allow-origin"] != "*"


def test_preflight_from_a_wrong_origin_is_refused(service: RunningService) -> None:
    resp = httpx.options(
        f"{service.url}/api/rocketchat/iframe-auth",
        headers={"Origin": WRONG_ORIGIN, "Access-Control-Request-Method": "POST"},
    )

    assert resp.status_code == 403
    assert "access-control-allow-origin" not in resp.headers
    assert "access-control-allow-methods" not in resp.headers
    assert "Origin" in resp.headers["vary"]


def test_preflight_asking_for_other_headers_or_methods_is_refused(
    rc: Sandbox, service: RunningService
) -> None:
    url = f"{service.url}/api/rocketchat/iframe-auth"
    for extra in (
        {"Access-Control-Request-Method": "DELETE"},
        {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"},
    ):
        resp = httpx.options(url, headers={"Origin": rc.origin, **extra})
        assert resp.status_code == 403
        assert "access-control-allow-methods" not in resp.headers


def test_login_page_names_rocketchat_and_may_only_be_framed_by_it(
    rc: Sandbox, service: RunningService
) -> None:
    resp = httpx.get(f"{service.url}/login", params={"client": "electron"})

    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/html")
    assert f'<meta name="rocketchat-origin" content="{rc.origin}">' in resp.text
    csp = resp.headers["content-security-policy"]
    assert f"frame-ancestors 'self' {rc.origin}" in csp
    assert "script-src 'self'" in csp
    assert httpx.get(f"{service.url}/static/login.js").status_code == 200


def test_healthz_and_unknown_paths(service: RunningService) -> None:
    assert httpx.get(f"{service.url}/healthz").json() == {"ok": True}
    missing = httpx.get(f"{service.url}/api/nothing")
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"
    wrong_method = httpx.delete(f"{service.url}/api/login")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"] == "method_not_allowed"


def test_flow_one_and_two_share_the_employee_token(rc: Sandbox, service: RunningService) -> None:
    with _signed_in_client(service, "bob") as client:
        iframe = client.post("/api/rocketchat/iframe-auth", headers={"Origin": rc.origin}).json()
    launcher = service.token(service.bearer("bob")).json()

    assert iframe["loginToken"] == launcher["authToken"]
    assert rc_me(rc, launcher["userId"], iframe["loginToken"]).status_code == 200
