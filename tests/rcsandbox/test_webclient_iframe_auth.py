"""Accounts -> Iframe auth in a real Qt WebEngine page (docs/rocketchat-contract.md#accounts-iframe-sso).

A tiny Starlette app in the test plays the organization: an API endpoint with credentialed CORS for the
sandbox origin, and the `Accounts_iframe_url` page, which the test drives through the org server (it
cannot reach into a cross-origin frame) and which reports the replies it gets back from the sandbox page.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from rcsandbox import Sandbox
from rcsandbox.background import BackgroundServer
from tests.support.browser import QtBrowser

from .conftest import make_config, wait_until

pytestmark = pytest.mark.window

LOGGED_IN = "document.body.dataset.state === 'logged-in'"
STARTED = "document.documentElement.dataset.client === 'started' && !!document.body.dataset.state"

_LOGIN_PAGE = """<!doctype html><title>Org login</title><p>Organization login</p>
<script>
  window.addEventListener('message', function (e) {
    fetch('/seen', {method: 'POST', body: JSON.stringify({data: e.data, origin: e.origin})});
  });
  setInterval(function () {
    fetch('/next').then(function (r) { return r.json(); }).then(function (next) {
      if (next.post) { window.parent.postMessage(next.post, '*'); }
    });
  }, 100);
</script>"""


@dataclass
class Org:
    """The organization side: what its API answers, and what it saw."""

    rc_origin: str = ""
    answer: tuple[int, Any] = (401, None)
    requests: list[dict[str, Any]] = field(default_factory=list)
    to_post: list[Any] = field(default_factory=list)
    seen: list[dict[str, Any]] = field(default_factory=list)
    server: BackgroundServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url

    def _cors(self) -> dict[str, str]:
        return {"Access-Control-Allow-Origin": self.rc_origin, "Access-Control-Allow-Credentials": "true"}

    async def token(self, request: Request) -> Response:
        self.requests.append(
            {
                "method": request.method,
                "origin": request.headers.get("origin"),
                "content_type": request.headers.get("content-type"),
                "cookie": request.cookies.get("org_session"),
                "body": (await request.body()).decode(),
            }
        )
        if request.method == "OPTIONS":
            return Response(
                status_code=204, headers={**self._cors(), "Access-Control-Allow-Methods": "GET, POST"}
            )
        status, body = self.answer
        if body is None:
            return Response(status_code=status, headers=self._cors())
        return JSONResponse(body, status_code=status, headers=self._cors())

    async def login_page(self, request: Request) -> Response:
        return HTMLResponse(_LOGIN_PAGE)

    async def next(self, request: Request) -> Response:
        return JSONResponse({"post": self.to_post.pop(0) if self.to_post else None})

    async def record_seen(self, request: Request) -> Response:
        self.seen.append(json.loads(await request.body()))
        return JSONResponse({"ok": True})

    async def set_cookie(self, request: Request) -> Response:
        response = HTMLResponse("<p>cookie set</p>")
        response.set_cookie("org_session", "s1", httponly=True, samesite="lax")
        return response

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/api/rc-token", self.token, methods=["GET", "POST", "OPTIONS"]),
                Route("/login", self.login_page),
                Route("/next", self.next),
                Route("/seen", self.record_seen, methods=["POST"]),
                Route("/set-cookie", self.set_cookie),
            ]
        )


@pytest.fixture
def org_and_rc() -> Iterator[tuple[Org, Sandbox]]:
    org = Org()
    with BackgroundServer(org.app()) as server, Sandbox(make_config(client_start_delay=0.0)) as rc:
        org.server = server
        org.rc_origin = rc.origin
        rc.set_setting("Accounts_iframe_enabled", True)
        rc.set_setting("Accounts_iframe_url", server.url + "/login")
        rc.set_setting("Accounts_Iframe_api_url", server.url + "/api/rc-token")
        rc.set_setting("Accounts_Iframe_api_method", "POST")
        yield org, rc


def test_api_login_token_logs_in_and_logout_logs_straight_back_in(
    org_and_rc: tuple[Org, Sandbox], browser: QtBrowser
) -> None:
    org, rc = org_and_rc
    _, token = rc.login_token("alice")
    org.answer = (200, {"loginToken": token})
    browser.open(org.url + "/set-cookie")
    browser.open(rc.url + "/home")
    browser.wait_for(LOGGED_IN)
    assert browser.eval("document.querySelector('#user-name').textContent") == "Alice Doe"
    assert [e["method"] for e in rc.events("login")] == ["iframe-auth"]
    # fetch(api_url, {method, credentials: 'include'}) with no headers: a simple request, no preflight.
    [call] = org.requests
    assert call == {"method": "POST", "origin": rc.origin, "content_type": None, "cookie": "s1", "body": ""}

    # Removing the token on logout calls the API again; it still answers 200, so back in.
    _, second = rc.login_token("alice")
    org.answer = (200, {"loginToken": second})
    browser.eval("document.querySelector('#logout-button').click()")
    wait_until(lambda: len(rc.events("login")) == 2, what="the second iframe-auth login")
    browser.wait_for(LOGGED_IN)
    assert [e["method"] for e in rc.events("login")] == ["iframe-auth", "iframe-auth"]
    assert rc.events("logout")


def test_refused_api_shows_the_iframe_whose_messages_log_in(
    org_and_rc: tuple[Org, Sandbox], browser: QtBrowser
) -> None:
    org, rc = org_and_rc
    browser.open(rc.url + "/home")
    src = browser.wait_for(
        "document.querySelector('#iframe-login') && document.querySelector('#iframe-login').src"
    )
    assert src == org.url + "/login"
    assert browser.eval("document.querySelector('#login-form')") is None

    org.to_post.append({"event": "login-with-token", "loginToken": "y" * 43})
    [reply] = wait_until(lambda: org.seen, what="the login-error reply")
    assert reply["origin"] == rc.origin
    assert reply["data"] == {
        "event": "login-error",
        "response": "You've been logged out by the server. Please log in again. [403]",
    }
    _, token = rc.login_token("bob")
    org.to_post.append({"event": "login-with-token", "loginToken": token})
    browser.wait_for(LOGGED_IN)
    assert browser.eval("document.querySelector('#user-name').textContent") == "Bob Roe"


def test_try_iframe_login_message_calls_the_api_again(
    org_and_rc: tuple[Org, Sandbox], browser: QtBrowser
) -> None:
    org, rc = org_and_rc
    browser.open(rc.url + "/home")
    browser.wait_for("!!document.querySelector('#iframe-login')")
    wait_until(lambda: len(org.requests) == 1, what="the first API call")
    _, token = rc.login_token("alice")
    org.answer = (200, {"loginToken": token})
    org.to_post.append({"event": "try-iframe-login"})
    browser.wait_for(LOGGED_IN)
    assert len(org.requests) == 2


def test_opaque_token_uses_the_iframe_login_handler(
    org_and_rc: tuple[Org, Sandbox], browser: QtBrowser
) -> None:
    org, rc = org_and_rc
    org.answer = (200, {"token": "org-opaque"})
    browser.open(rc.url + "/home")
    browser.wait_for("!!document.querySelector('#iframe-login')")  # unknown token: RC shows the iframe
    assert rc.events("login-failed")[-1]["method"] == "iframe-auth"
    rc.set_iframe_token("org-opaque", "bob")
    browser.open(rc.url + "/home")
    browser.wait_for(LOGGED_IN)
    assert browser.eval("document.querySelector('#user-name').textContent") == "Bob Roe"
