"""Fixtures for the token service tests: a real rcsandbox and a real token service on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from rcsandbox import Sandbox, SandboxConfig, SandboxUser
from rcsandbox.background import BackgroundServer
from tests.support.token_service import token_service_config
from tokenservice.app import create_app
from tokenservice.config import TokenServiceConfig
from tokenservice.passwords import hash_password

SECRET = "sandbox-create-tokens-secret"
# Cheaper scrypt than production (n=2**14) so fifty logins stay fast; same code path.
_TEST_N = 2**10

EMPLOYEES = {
    "alice": ("alice-pw", "Alice Doe", "alice@example.com"),
    "bob": ("bob-pw", "Bob Roe", "bob@example.com"),
    "carol": ("carol-pw", "Carol Poe", "carol@example.com"),
    "dave": ("dave-pw", "Dave Loe", "dave@example.com"),
}


class FakeClock:
    """Monotonic seconds that only move when a test says so (sessions, throttling, token reuse)."""

    def __init__(self) -> None:
        self._now = 1000.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


def write_users_file(path: Path, employees: dict[str, tuple[str, str, str]]) -> Path:
    lines = []
    for username, (password, name, email) in employees.items():
        lines += [
            "[[users]]",
            f'username = "{username}"',
            f'name = "{name}"',
            f'email = "{email}"',
            f'password_hash = "{hash_password(password, n=_TEST_N)}"',
            "",
        ]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def users_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_users_file(tmp_path_factory.mktemp("tokenservice") / "users.toml", EMPLOYEES)


@pytest.fixture
def rc() -> Iterator[Sandbox]:
    """A fresh Rocket.Chat stand-in; "existing" is a user Rocket.Chat already has before any sign-in."""
    existing = SandboxUser(
        username="dave", password="rc-only-pw", name="Dave In RC", email="dave@example.com", roles=["user"]
    )
    with Sandbox(SandboxConfig(users=[existing], create_tokens_secret=SECRET)) as sandbox:
        yield sandbox


@dataclass
class RunningService:
    url: str
    config: TokenServiceConfig
    clock: FakeClock
    app: Any

    def login(self, username: str, password: str | None = None) -> httpx.Response:
        password = EMPLOYEES[username][0] if password is None else password
        return httpx.post(f"{self.url}/api/login", json={"username": username, "password": password})

    def bearer(self, username: str) -> dict[str, str]:
        resp = self.login(username)
        assert resp.status_code == 200, resp.text
        return {"Authorization": f"Bearer {resp.json()['access_token']}"}

    def token(
        self, headers: dict[str, str], method: str = "POST", params: dict[str, str] | None = None
    ) -> httpx.Response:
        return httpx.request(method, f"{self.url}/api/rocketchat/token", headers=headers, params=params)


def base_config(rc: Sandbox, users_file: Path, **overrides: Any) -> TokenServiceConfig:
    return token_service_config(rc.url, users_file, SECRET, **overrides)


@pytest.fixture
def start_service(rc: Sandbox, users_file: Path) -> Iterator[Callable[..., RunningService]]:
    """Start token services against `rc`; keyword arguments override TokenServiceConfig fields."""
    servers: list[BackgroundServer] = []

    def start(**overrides: Any) -> RunningService:
        config = base_config(rc, users_file, **overrides)
        clock = FakeClock()
        app = create_app(config, clock=clock)
        server = BackgroundServer(app).start()
        servers.append(server)
        return RunningService(url=server.url, config=config, clock=clock, app=app)

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def service(start_service: Callable[..., RunningService]) -> RunningService:
    return start_service()


def rc_me(rc: Sandbox, user_id: str, auth_token: str) -> httpx.Response:
    """Ask Rocket.Chat itself whether a token works."""
    return httpx.get(f"{rc.url}/api/v1/me", headers={"X-User-Id": user_id, "X-Auth-Token": auth_token})
