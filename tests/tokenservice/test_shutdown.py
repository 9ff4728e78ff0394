"""Stopping `python -m tokenservice` (SIGTERM) while a token request waits on a slow Rocket.Chat: the request
gets a 503 with Retry-After and the service's JSON error, not a 500 with a traceback."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import httpx
import pytest

from rcsandbox import Sandbox

from .conftest import EMPLOYEES
from .test_config_and_cli import _edit, _sandbox_config, start_service_process

pytestmark = pytest.mark.real

GRACE = 2


def _wait_for(condition: object, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@pytest.mark.parametrize("route", ["launcher", "iframe"])
def test_sigterm_answers_a_request_waiting_on_rocketchat_with_503(
    route: str, tmp_path: Path, rc: Sandbox
) -> None:
    config = _sandbox_config(tmp_path, rc)
    _edit(config, "graceful_shutdown_timeout = 10", f"graceful_shutdown_timeout = {GRACE}")
    proc, url = start_service_process(config)
    try:
        login = httpx.post(f"{url}/api/login", json={"username": "alice", "password": EMPLOYEES["alice"][0]})
        session = login.json()["access_token"]
        if route == "launcher":
            path, headers, cookies = "/api/rocketchat/token", {"Authorization": f"Bearer {session}"}, {}
        else:  # Rocket.Chat's page, with the browser's cookie (sent by hand: the example's is Secure)
            path, headers, cookies = (
                "/api/rocketchat/iframe-auth",
                {"Origin": rc.origin},
                {"ts_session": session},
            )
        rc.set_latency(30)  # Rocket.Chat answers long after the shutdown's grace time
        rc.record_requests()
        answer: list[httpx.Response] = []
        request = threading.Thread(
            target=lambda: answer.append(
                httpx.post(f"{url}{path}", headers=headers, cookies=cookies, timeout=60)
            )
        )
        request.start()
        _wait_for(lambda: rc.events(kind="request"), "the token service to call Rocket.Chat")

        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        request.join(timeout=GRACE + 15)
        waited = time.monotonic() - started
        _, stderr = proc.communicate(timeout=15)
    finally:
        rc.set_latency(0)
        if proc.poll() is None:
            proc.kill()
            proc.communicate()

    assert answer, "the token request got no answer"
    resp = answer[0]
    assert resp.status_code == 503, resp.text
    assert resp.headers["retry-after"].isdigit()
    assert resp.json()["error"] == "shutting_down"
    assert resp.json()["message"].endswith(".")
    if route == "iframe":
        assert resp.headers["access-control-allow-origin"] == rc.origin  # readable by Rocket.Chat's page
    assert GRACE - 0.5 < waited < GRACE + 5  # it was given the grace time, no more
    assert "Traceback" not in stderr and "CancelledError" not in stderr
    assert f"POST {path} was still running when the shutdown's grace time ended; answered 503" in stderr
    assert proc.returncode in (0, -signal.SIGTERM)
