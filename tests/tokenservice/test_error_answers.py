"""Every error answer of the token service, byte for byte: status, JSON body and headers.

Why: the errors are mapped by one base class and one handler (tokenservice/errors.py); this pins what
each of them answered before that, so the HTTP contract (docs/tokenservice.md, "HTTP API") cannot drift.
Runs in process (the service and the stand-in over httpx.ASGITransport); the unreachable
Rocket.Chat, directory and Redis are real closed ports on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import importlib
import pkgutil
import re
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import tokenservice
from rcsandbox import Sandbox, SandboxConfig
from tests.support.token_service import token_service_config
from tokenservice.app import create_app
from tokenservice.config import ConfigError
from tokenservice.directory import DirectoryUnavailable
from tokenservice.errors import TokenServiceError, error_response
from tokenservice.ldap_directory import LdapDirectory, LdapSettings
from tokenservice.passwords import PasswordHashError
from tokenservice.state import StateUnavailable
from tokenservice.throttle import ThrottleSettings

from .conftest import SECRET, FakeClock

RC_URL = "http://rc.test"
SERVICE_URL = "http://tokenservice.test"
EVIL = "https://evil.example"
JSON = {"Content-Type": "application/json"}
NO_STORE = [("cache-control", "no-store"), ("content-type", "application/json")]
CORS = [
    ("access-control-allow-credentials", "true"),
    ("access-control-allow-origin", RC_URL),
    ("vary", "Origin"),
]

Answer = tuple[int, dict[str, Any], list[tuple[str, str]]]


def _answer(resp: httpx.Response, port: int | None = None) -> Answer:
    headers = sorted((k, v) for k, v in resp.headers.multi_items() if k != "content-length")
    body = resp.json()
    if port is not None and "message" in body:
        body["message"] = body["message"].replace(str(port), "PORT")
    return resp.status_code, body, headers


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def sandbox() -> Sandbox:
    """The stand-in's ASGI app, never served on a socket."""
    return Sandbox(SandboxConfig(create_tokens_secret=SECRET))


@pytest.fixture
async def client_for(sandbox: Sandbox, users_file: Path) -> AsyncIterator[Any]:
    """Token services in process, each with its lifespan running, as httpx clients."""
    async with contextlib.AsyncExitStack() as stack:

        async def make(**overrides: Any) -> httpx.AsyncClient:
            clock = overrides.pop("clock", FakeClock())
            transport = overrides.pop("rc_transport", httpx.ASGITransport(app=sandbox.app))
            url = overrides.pop("rocketchat_url", RC_URL)
            config = token_service_config(url, users_file, SECRET, **overrides)
            app = create_app(config, clock=clock, rc_transport=transport)
            await stack.enter_async_context(app.router.lifespan_context(app))
            client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=SERVICE_URL)
            client.clock = clock  # type: ignore[attr-defined]
            return await stack.enter_async_context(client)

        yield make


@pytest.mark.anyio
async def test_login_errors(client_for: Any) -> None:
    client = await client_for(throttle=ThrottleSettings(max_failures_per_username=2, window=60))
    surrogate = b'{"username": "carol", "password": "pw\\ud800"}'
    answers = {
        "type": _answer(
            await client.post("/api/login", content=b"x", headers={"Content-Type": "text/plain"})
        ),
        "not json": _answer(await client.post("/api/login", content=b"{", headers=JSON)),
        "too large": _answer(await client.post("/api/login", content=b" " * 9000, headers=JSON)),
        "missing": _answer(await client.post("/api/login", json={"username": "alice"})),
        "too long": _answer(await client.post("/api/login", json={"username": "a" * 300, "password": "x"})),
        "not text": _answer(await client.post("/api/login", content=surrogate, headers=JSON)),
    }
    for _ in range(2):
        wrong = await client.post("/api/login", json={"username": "alice", "password": "guess"})
    answers["wrong"] = _answer(wrong)
    answers["throttled"] = _answer(
        await client.post("/api/login", json={"username": "alice", "password": "guess"})
    )

    invalid = "invalid_request"
    assert answers == {
        "type": (
            400,
            {"error": invalid, "message": "Send the username and password as a JSON object."},
            NO_STORE,
        ),
        "not json": (400, {"error": invalid, "message": "The request body is not valid JSON."}, NO_STORE),
        "too large": (
            413,
            {"error": "request_too_large", "message": "The request body is larger than 8192 bytes."},
            sorted([*NO_STORE, ("connection", "close")]),
        ),
        "missing": (
            400,
            {"error": invalid, "message": "Both username and password are required, as strings."},
            NO_STORE,
        ),
        "too long": (400, {"error": invalid, "message": "The username or password is too long."}, NO_STORE),
        "not text": (
            400,
            {"error": invalid, "message": "The username or password is not valid text."},
            NO_STORE,
        ),
        "wrong": (
            401,
            {"error": "invalid_credentials", "message": "The username or password is wrong."},
            NO_STORE,
        ),
        "throttled": (
            429,
            {
                "error": "too_many_attempts",
                "message": "Too many failed sign-in attempts; try again in 60 seconds.",
                "retry_after": 60,
            },
            sorted([*NO_STORE, ("retry-after", "60")]),
        ),
    }


@pytest.mark.anyio
async def test_session_and_origin_errors(client_for: Any) -> None:
    client = await client_for(session_lifetime=60.0)
    answers = {
        "no session": _answer(await client.post("/api/rocketchat/token")),
        "unknown": _answer(
            await client.post("/api/rocketchat/token", headers={"Authorization": "Bearer nope"})
        ),
        "get": _answer(await client.get("/api/rocketchat/token")),
        "nowhere": _answer(await client.get("/nowhere")),
        "iframe no cookie": _answer(
            await client.get("/api/rocketchat/iframe-auth", headers={"Origin": RC_URL})
        ),
        "iframe put": _answer(await client.put("/api/rocketchat/iframe-auth", headers={"Origin": RC_URL})),
    }
    assert (
        await client.post("/api/login", json={"username": "bob", "password": "bob-pw"})
    ).status_code == 200
    answers["token other site"] = _answer(
        await client.post("/api/rocketchat/token", headers={"Origin": EVIL})
    )
    answers["logout other site"] = _answer(
        await client.post("/api/logout", headers={"Sec-Fetch-Site": "cross-site"})
    )
    answers["iframe other origin"] = _answer(
        await client.get("/api/rocketchat/iframe-auth", headers={"Origin": EVIL})
    )
    client.clock.advance(61)
    answers["expired"] = _answer(await client.post("/api/rocketchat/token"))
    answers["iframe expired"] = _answer(
        await client.post("/api/rocketchat/iframe-auth", headers={"Origin": RC_URL})
    )

    session = "invalid_session"
    browser = "No valid token-service session in this browser; sign in on the login page."
    origin = "origin_not_allowed"
    assert answers == {
        "no session": (
            401,
            {"error": session, "message": "Sign in first: no session token was sent."},
            NO_STORE,
        ),
        "unknown": (
            401,
            {"error": session, "message": "The session is unknown or was ended; sign in again."},
            NO_STORE,
        ),
        "get": (
            405,
            {"error": "method_not_allowed", "message": "This method is not allowed here."},
            NO_STORE,
        ),
        "nowhere": (404, {"error": "not_found", "message": "There is nothing at this address."}, NO_STORE),
        "iframe no cookie": (401, {"error": session, "message": browser}, sorted([*NO_STORE, *CORS])),
        "iframe put": (
            405,
            {"error": "method_not_allowed", "message": "This method is not allowed here."},
            NO_STORE,
        ),
        "token other site": (
            403,
            {
                "error": origin,
                "message": "The session cookie may only be used from this service's own pages or the launcher.",
            },
            NO_STORE,
        ),
        "logout other site": (
            403,
            {
                "error": origin,
                "message": "The session cookie may only be used from this service's own pages.",
            },
            NO_STORE,
        ),
        "iframe other origin": (
            403,
            {
                "error": origin,
                "message": f"the origin {EVIL} may not call this endpoint; only the configured Rocket.Chat origin may",
            },
            [("content-type", "application/json"), ("vary", "Origin")],
        ),
        "expired": (
            401,
            {"error": "session_expired", "message": "The session has expired; sign in again."},
            NO_STORE,
        ),
        "iframe expired": (401, {"error": session, "message": browser}, sorted([*NO_STORE, *CORS])),
    }


@pytest.mark.anyio
async def test_rocketchat_directory_and_state_outages(client_for: Any, users_file: Path) -> None:
    rc_port = _closed_port()
    no_rc = await client_for(
        rocketchat_url=f"http://127.0.0.1:{rc_port}", rocketchat_origin=RC_URL, rc_transport=None
    )
    assert (
        await no_rc.post("/api/login", json={"username": "alice", "password": "alice-pw"})
    ).status_code == 200
    ldap = LdapSettings(
        url=f"ldap://127.0.0.1:{_closed_port()}",
        base_dn="dc=example,dc=com",
        bind_dn="cn=service,dc=example,dc=com",
        bind_password="not-a-secret-here",
        connect_timeout=1.0,
        timeout=1.0,
    )
    no_directory = await client_for(directory=LdapDirectory(ldap))
    redis_port = _closed_port()
    no_state = await client_for(redis_url=f"redis://127.0.0.1:{redis_port}/0", redis_timeout=0.5)
    answers = {
        "token": _answer(await no_rc.post("/api/rocketchat/token"), rc_port),
        "iframe": _answer(
            await no_rc.get("/api/rocketchat/iframe-auth", headers={"Origin": RC_URL}), rc_port
        ),
        "directory": _answer(
            await no_directory.post("/api/login", json={"username": "alice", "password": "pw"})
        ),
        "state login": _answer(
            await no_state.post("/api/login", json={"username": "alice", "password": "pw"})
        ),
        "state iframe": _answer(
            await no_state.get(
                "/api/rocketchat/iframe-auth", headers={"Origin": RC_URL, "Cookie": "ts_session=x"}
            )
        ),
        "metrics elsewhere": _answer(await (await client_for(metrics_port=9)).get("/metrics")),
    }

    unreachable = {
        "error": "rocketchat_unreachable",
        "message": "Cannot connect to Rocket.Chat at http://127.0.0.1:PORT.",
    }
    directory = "The employee directory cannot be reached right now; try again in a minute."
    state = "The token service's shared state (Redis) cannot be reached right now; try again in a minute."
    assert answers == {
        "token": (502, unreachable, NO_STORE),
        "iframe": (502, unreachable, sorted([*NO_STORE, *CORS])),
        "directory": (
            503,
            {"error": "directory_unavailable", "message": directory},
            sorted([*NO_STORE, ("retry-after", "30")]),
        ),
        "state login": (
            503,
            {"error": "state_unavailable", "message": state},
            sorted([*NO_STORE, ("retry-after", "10")]),
        ),
        "state iframe": (
            503,
            {"error": "state_unavailable", "message": state},
            sorted([*NO_STORE, ("retry-after", "10"), *CORS]),
        ),
        "metrics elsewhere": (
            404,
            {"error": "not_found", "message": "There is nothing at this address."},
            NO_STORE,
        ),
    }


def _all_error_classes() -> list[type[TokenServiceError]]:
    for module in pkgutil.walk_packages(tokenservice.__path__, "tokenservice."):
        if module.name != "tokenservice.__main__":
            importlib.import_module(module.name)
    found: list[type[TokenServiceError]] = []
    todo = [TokenServiceError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_every_error_class_answers_a_status_a_code_and_one_sentence() -> None:
    classes = _all_error_classes()
    assert len(classes) >= 25  # every module's errors derive from the one base
    for cls in classes:
        assert 400 <= cls.status <= 599, cls
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", cls.code), cls
        assert cls.message[:1].isupper() and cls.message.endswith("."), cls


@pytest.mark.parametrize(
    "error",
    [
        ConfigError("directory.bind_password = 'hunter2' must not be in the file"),
        PasswordHashError("the hash scrypt$hunter2 is malformed"),
        DirectoryUnavailable("bind as cn=svc with hunter2 failed"),
        StateUnavailable("redis://:hunter2@redis.internal failed"),
    ],
)
def test_a_detail_not_marked_public_never_reaches_the_answer(error: TokenServiceError) -> None:
    """The detail is for the log; unless a class marks it public, the client reads a fixed sentence."""
    assert "hunter2" in str(error)
    response = error_response(error)
    assert b"hunter2" not in response.body
    assert not any("hunter2" in value for value in response.headers.values())
