"""Fixtures for the rcsandbox contract tests: a fresh in-process Sandbox per test, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from rcsandbox import Sandbox, SandboxConfig, SandboxUser

SECRET = "sandbox-secret"


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
