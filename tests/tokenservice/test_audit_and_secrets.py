"""The audit trail records every token handed out; no log line ever holds a password or a token."""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
import pytest

from rcsandbox import Sandbox

from .conftest import EMPLOYEES, SECRET, RunningService

pytestmark = pytest.mark.real


def test_one_audit_line_per_token_issued_without_the_token(
    rc: Sandbox, service: RunningService, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tokenservice.audit")
    headers = service.bearer("alice")
    first = service.token(headers).json()
    second = service.token(headers).json()
    with httpx.Client(base_url=service.url) as browser_like:
        browser_like.post("/api/login", json={"username": "alice", "password": "alice-pw"})
        iframe = browser_like.post("/api/rocketchat/iframe-auth", headers={"Origin": rc.origin}).json()

    lines = [r.getMessage() for r in caplog.records if r.name == "tokenservice.audit"]
    assert len(lines) == 3
    assert "user=alice" in lines[0] and "flow=launcher" in lines[0] and "source=created-user" in lines[0]
    assert "flow=launcher" in lines[1] and "source=reused" in lines[1]
    assert "flow=iframe" in lines[2]
    assert all("time=" in line and f"rc_user_id={first['userId']}" in line for line in lines)
    for token in (first["authToken"], second["authToken"], iframe["loginToken"]):
        assert not any(token in line for line in lines)


def test_no_password_or_token_in_any_log(
    rc: Sandbox, start_service: Callable[..., RunningService], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # The launcher's log setup (run by other tests in this process) pins httpx/httpcore at WARNING; this
    # test wants everything the service's own HTTP client would log at DEBUG.
    for noisy in ("httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=noisy)
    service = start_service()
    secrets_seen: list[str] = [EMPLOYEES["alice"][0], "admin-pw", SECRET, "a-wrong-guess"]

    service.login("alice", "a-wrong-guess")
    login = service.login("alice").json()
    secrets_seen.append(login["access_token"])
    token = service.token({"Authorization": f"Bearer {login['access_token']}"}).json()
    secrets_seen.append(token["authToken"])
    refused = start_service(create_tokens_secret="wrong-secret-value")
    secrets_seen.append("wrong-secret-value")
    assert refused.token(refused.bearer("bob")).status_code == 502
    rc.stop()
    try:
        assert service.token(service.bearer("carol")).status_code == 502
    finally:
        rc.start()

    # Every record logged by the servers (the token service with its httpx client, and the sandbox), at
    # DEBUG; the test's own httpx client runs in the main thread and is left out.
    server_records = [r for r in caplog.records if r.threadName != "MainThread"]
    text = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in server_records)
    assert any(r.name.startswith("httpcore") for r in server_records)  # the service's client, at DEBUG
    assert "login failed user=alice" in text  # the log does say what happened...
    assert "rocketchat_unreachable" in text
    for secret in secrets_seen:  # ...but never with a secret in it
        assert secret not in text
