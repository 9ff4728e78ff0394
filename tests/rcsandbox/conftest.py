"""Fixtures for the rcsandbox contract tests: a fresh in-process Sandbox per test, over real HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import httpx
import pytest

from rcsandbox import Sandbox, SandboxConfig, SandboxUser

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
def rc() -> Iterator[Sandbox]:
    with Sandbox(make_config()) as sandbox:
        yield sandbox


@pytest.fixture
def http(rc: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=rc.url, timeout=10.0) as client:
        yield client


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
