"""Login + token with no socket at all: the service and the Rocket.Chat stand-in over httpx.ASGITransport.

Why: `create_app(..., rc_transport=...)` exists so tests whose subject is not the socket can run in
process (the fast tier). The same checks run over two real uvicorn servers, so the two ways are held to
the same answers.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from rcsandbox import Sandbox, SandboxConfig, SandboxUser
from tests.support.token_service import token_service_config
from tokenservice.app import create_app

from .conftest import SECRET, RunningService

RC_URL = "http://rc.test"


@contextlib.asynccontextmanager
async def _in_process(
    users_file: Path,
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient, Sandbox]]:
    existing = SandboxUser(
        username="dave", password="rc-only-pw", name="Dave In RC", email="dave@example.com", roles=["user"]
    )
    rc = Sandbox(SandboxConfig(users=[existing], create_tokens_secret=SECRET))  # never started: no socket
    rc_transport = httpx.ASGITransport(app=rc.app)
    app = create_app(token_service_config(RC_URL, users_file, SECRET), rc_transport=rc_transport)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://tokenservice.test"
        ) as service,
        httpx.AsyncClient(transport=rc_transport, base_url=RC_URL) as rocketchat,
    ):
        yield service, rocketchat, rc


@contextlib.asynccontextmanager
async def _over_sockets(
    service: RunningService, rc: Sandbox
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient, Sandbox]]:
    async with (
        httpx.AsyncClient(base_url=service.url) as client,
        httpx.AsyncClient(base_url=rc.url) as rocketchat,
    ):
        yield client, rocketchat, rc


async def _login_then_token(service: httpx.AsyncClient, rocketchat: httpx.AsyncClient, rc: Sandbox) -> None:
    """The checks of test_login_gives_bearer_and_httponly_cookie and
    test_first_token_creates_the_user_from_the_directory, in one sequence."""
    login = await service.post("/api/login", json={"username": "alice", "password": "alice-pw"})
    assert login.status_code == 200
    body = login.json()
    assert (body["token_type"], body["username"], body["expires_in"]) == ("bearer", "alice", 8 * 3600)
    assert len(body["access_token"]) >= 40
    cookie = login.headers["set-cookie"]
    assert cookie.startswith(f"ts_session={body['access_token']};")
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "path=/", "samesite=lax", f"max-age={8 * 3600}"} <= attributes
    assert "secure" not in attributes
    assert login.headers["cache-control"] == "no-store"

    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    token = await service.post("/api/rocketchat/token", headers=bearer)
    assert token.status_code == 200
    issued = token.json()
    assert set(issued) == {"authToken", "userId", "expiresAt"}
    expires_at = datetime.fromisoformat(issued["expiresAt"])
    assert timedelta(days=89) < expires_at - datetime.now(UTC) <= timedelta(days=90)
    me = await rocketchat.get(
        "/api/v1/me", headers={"X-User-Id": issued["userId"], "X-Auth-Token": issued["authToken"]}
    )
    assert me.status_code == 200
    assert (me.json()["username"], me.json()["name"], me.json()["email"]) == (
        "alice",
        "Alice Doe",
        "alice@example.com",
    )
    assert [(e["username"], e["by"]) for e in rc.events(kind="user-created")] == [("alice", "admin")]


@pytest.mark.anyio
async def test_login_and_token_in_process(users_file: Path) -> None:
    async with _in_process(users_file) as (service, rocketchat, rc):
        await _login_then_token(service, rocketchat, rc)


@pytest.mark.real
@pytest.mark.anyio
async def test_login_and_token_over_sockets(service: RunningService, rc: Sandbox) -> None:
    async with _over_sockets(service, rc) as (client, rocketchat, sandbox):
        await _login_then_token(client, rocketchat, sandbox)
