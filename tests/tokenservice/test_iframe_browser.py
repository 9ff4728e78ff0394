"""Flow 2 in a real browser engine: Rocket.Chat's web client (rcsandbox) with Accounts_iframe_enabled, the
token service's /login page in its iframe, and the iframe-auth call carrying the session cookie.

127.0.0.1:A (Rocket.Chat) and 127.0.0.1:B (token service) are different origins but the same site, so the
SameSite=Lax session cookie travels on Rocket.Chat's credentialed fetch, as it would between
chat.example.com and sso.example.com.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from rcsandbox import Sandbox
from tests.support.browser import QtBrowser

from .conftest import RunningService
from .devtools import DevTools

pytestmark = pytest.mark.window

LOGGED_IN = "document.body.getAttribute('data-state') === 'logged-in'"


def _enable_iframe_auth(rc: Sandbox, service: RunningService) -> None:
    rc.set_client_start_delay(0.1)
    rc.set_setting("Accounts_iframe_enabled", True)
    rc.set_setting("Accounts_iframe_url", f"{service.url}/login")
    rc.set_setting("Accounts_Iframe_api_url", f"{service.url}/api/rocketchat/iframe-auth")
    rc.set_setting("Accounts_Iframe_api_method", "POST")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def debuggable_browser(artifacts_dir: Path) -> Iterator[tuple[QtBrowser, int]]:
    """The shared Qt WebEngine page driver, started with Chromium's DevTools endpoint on a loopback port."""
    port = _free_port()
    env = {**os.environ, "QTWEBENGINE_REMOTE_DEBUGGING": f"127.0.0.1:{port}"}
    with QtBrowser(env=env) as browser:
        try:
            yield browser, port
        except BaseException:
            browser.screenshot(artifacts_dir / "failure.png")
            raise


def test_signed_in_employee_is_logged_into_rocketchat_by_iframe_auth(
    rc: Sandbox, service: RunningService, browser: QtBrowser
) -> None:
    _enable_iframe_auth(rc, service)
    # Sign in on the token service's own page first (top level), as an employee may have done earlier.
    browser.open(f"{service.url}/login")
    browser.eval(
        "document.getElementById('username').value = 'alice';"
        "document.getElementById('password').value = 'alice-pw';"
        "document.getElementById('login-form').requestSubmit(); true"
    )
    browser.wait_for("document.getElementById('status').textContent.startsWith('Signed in')")

    browser.open(f"{rc.url}/home")

    browser.wait_for(LOGGED_IN, timeout=15)
    assert browser.eval("document.getElementById('user-name').textContent") == "Alice Doe"
    assert _employee_logins(rc) == [("alice", "iframe-auth")]
    assert rc.events(kind="user-created")[0]["username"] == "alice"


def test_login_page_in_rocketchat_iframe_signs_in_and_asks_for_a_retry(
    rc: Sandbox, service: RunningService, debuggable_browser: tuple[QtBrowser, int]
) -> None:
    browser, port = debuggable_browser
    _enable_iframe_auth(rc, service)

    browser.open(f"{rc.url}/home")
    # No session yet: iframe-auth answers 401 and Rocket.Chat shows our /login instead of its form.
    browser.wait_for("!!document.getElementById('iframe-login')", timeout=15)
    assert browser.eval("document.getElementById('iframe-login').src") == f"{service.url}/login"

    devtools = DevTools(port)
    try:
        frame = f"{service.url}/login"
        devtools_wait = "document.readyState === 'complete' && !!document.getElementById('login-form')"
        _wait_in_frame(devtools, frame, devtools_wait)
        devtools.eval_in_frame(
            frame,
            "document.getElementById('username').value = 'bob';"
            "document.getElementById('password').value = 'wrong';"
            "document.getElementById('login-form').requestSubmit(); true",
        )
        error = _wait_in_frame(
            devtools,
            frame,
            "document.getElementById('status').className === 'error' && document.getElementById('status').textContent",
        )
        assert error == "The username or password is wrong."
        assert browser.eval(LOGGED_IN) is False

        devtools.eval_in_frame(
            frame,
            "document.getElementById('password').value = 'bob-pw';"
            "document.getElementById('login-form').requestSubmit(); true",
        )
        browser.wait_for(LOGGED_IN, timeout=15)
    finally:
        devtools.close()

    assert browser.eval("document.getElementById('user-name').textContent") == "Bob Roe"
    assert browser.eval("document.getElementById('iframe-login') === null") is True
    assert _employee_logins(rc) == [("bob", "iframe-auth")]
    assert not [m for m in browser.console() if m["level"] == "error" and "CORS" in m["message"]]


def _employee_logins(rc: Sandbox) -> list[tuple[str, str]]:
    """Logins at Rocket.Chat other than the token service's own service account."""
    return [(e["username"], e["method"]) for e in rc.events(kind="login") if e["username"] != "admin"]


def _wait_in_frame(devtools: DevTools, frame: str, expression: str, timeout: float = 10.0) -> object:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            last = devtools.eval_in_frame(frame, expression)
        except Exception as exc:  # the frame may not exist yet
            last = exc
        else:
            if last:
                return last
        time.sleep(0.05)
    raise AssertionError(f"{expression!r} stayed falsy in {frame} for {timeout:g} s (last: {last!r})")


def test_browser_refuses_iframe_auth_answer_for_another_configured_origin(
    rc: Sandbox, start_service: Callable[..., RunningService], browser: QtBrowser
) -> None:
    """A token service configured for some other Rocket.Chat origin gives this one nothing it may read."""
    service = start_service(rocketchat_origin="https://chat.example.com")
    _enable_iframe_auth(rc, service)
    browser.open(f"{service.url}/login")
    browser.eval(
        "document.getElementById('username').value = 'alice';"
        "document.getElementById('password').value = 'alice-pw';"
        "document.getElementById('login-form').requestSubmit(); true"
    )
    browser.wait_for("document.getElementById('status').textContent.startsWith('Signed in')")

    browser.open(f"{rc.url}/home")

    deadline = time.monotonic() + 15
    while not [e for e in rc.events(kind="client-error") if e.get("where") == "iframe-auth"]:
        assert time.monotonic() < deadline, f"no iframe-auth client error; events: {rc.events()}"
        time.sleep(0.05)
    assert browser.eval(LOGGED_IN) is False
    assert _employee_logins(rc) == []
