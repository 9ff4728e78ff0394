"""Fixtures for the rcsandbox contract tests: a fresh Sandbox per test.

``http`` talks to the sandbox's app in process (tests/support/in_process.py: the same requests and
answers, no socket) unless the test is marked ``real``: then the sandbox serves on 127.0.0.1 and ``http`` goes over
the socket, for the tests whose subject is the server itself (restarts, TLS, concurrency, timing).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import httpx
import pytest

from rcsandbox import Sandbox, SandboxConfig, SandboxUser
from tests.support.in_process import InProcessTransport

SECRET = "sandbox-secret"
T = TypeVar("T")


def make_config(**overrides: object) -> SandboxConfig:
    base: dict[str, object] = {
        "users": [
            SandboxUser(username="alice", password="alice-pw", name="Alice Doe", email="alice@example.com"),
            SandboxUser(username="bob", password="bob-pw", name="Bob Roe", email="bob@example.com"),
        ],
        "create_tokens_secret": SECRET,
        "client_start_delay": 0.0,
    }
    base.update(overrides)
    return SandboxConfig(**base)  # type: ignore[arg-type]


@pytest.fixture
def rc(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    sandbox = Sandbox(make_config())
    if request.node.get_closest_marker("real") is None:
        yield sandbox
        return
    with sandbox:
        yield sandbox


@pytest.fixture
def http(rc: Sandbox) -> Iterator[httpx.Client]:
    with client_for(rc) as client:
        yield client


@contextlib.contextmanager
def client_for(rc: Sandbox) -> Iterator[httpx.Client]:
    """An httpx client for ``rc``: over its socket once started, else to its app in process."""
    if rc.running:
        with httpx.Client(base_url=rc.url, timeout=10.0) as client:
            yield client
        return
    with httpx.Client(transport=InProcessTransport(rc.app), base_url=rc.url, timeout=10.0) as client:
        yield client


@contextlib.contextmanager
def in_process(config: SandboxConfig) -> Iterator[tuple[Sandbox, httpx.Client]]:
    """A sandbox with ``config`` and a client to its app in process (no socket)."""
    sandbox = Sandbox(config)
    with client_for(sandbox) as client:
        yield sandbox, client


def auth_headers(user_id: str, token: str) -> dict[str, str]:
    return {"X-User-Id": user_id, "X-Auth-Token": token}


def login(http: httpx.Client, username: str, password: str) -> dict[str, str]:
    """Password login; returns the X-User-Id / X-Auth-Token headers."""
    response = http.post("/api/v1/login", json={"user": username, "password": password})
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    return auth_headers(data["userId"], data["authToken"])


def wait_until(
    predicate: Callable[[], T], timeout: float = 10.0, interval: float = 0.05, what: str = "condition"
) -> T:
    """Poll `predicate` until it returns something truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)
