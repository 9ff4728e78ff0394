"""Fixtures for the launcher's in-process tests: real servers on 127.0.0.1, the real Secret Service, predictable logs.

Every test gets a profile (``Paths.under``) below one session-wide directory and logs there with
``--verbose`` detail; every password and token a test handles goes into the ``ledger``. When the ledger is
torn down, after the last test that used it, every one of those log files is searched for every secret in
it (tests/launcher/log_scan.py); a find fails the run.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import keyring
import pytest

from launcher.config import Settings, load_settings
from launcher.logs.setup import setup_logging
from launcher.paths import Paths
from launcher.signin.credentials import CredentialStore
from launcher.signin.http import make_client
from rcsandbox import Sandbox, SandboxConfig, SandboxUser
from rcsandbox.background import BackgroundServer
from tests.launcher.log_scan import leaks
from tests.support.in_process import InProcessTransport
from tests.support.token_service import token_service_config
from tokenservice.app import create_app
from tokenservice.config import TokenServiceConfig
from tokenservice.passwords import hash_password

REPO_ROOT = Path(__file__).resolve().parents[2]
CREATE_TOKENS_SECRET = "core-create-tokens-secret"

# Employees of the organization (the token service's directory). Rocket.Chat gets them on first sign-in.
EMPLOYEES = {"alice": "alice-org-pw", "bob": "bob-org-pw", "erin": "erin-org-pw"}
# Accounts Rocket.Chat itself knows (mode "rocketchat").
RC_USERS = {"rita": "rita-rc-pw"}


@dataclass
class Ledger:
    """Where this session's launcher logs go, and every secret they must not contain."""

    root: Path
    secrets: set[str] = field(default_factory=set)

    def add(self, *values: str | None) -> None:
        for value in values:
            if value and len(value) >= 4:
                self.secrets.add(value)

    def record_response(self, response: httpx.Response) -> None:
        """Collect tokens from any JSON answer (used as an httpx response hook)."""
        response.read()
        try:
            document = response.json()
        except ValueError:
            return
        for value in _secret_values(document):
            self.add(value)
        for value in response.cookies.values():
            self.add(value)


def _secret_values(document: Any) -> Iterator[str]:
    if isinstance(document, dict):
        for key, value in document.items():
            if key in ("authToken", "access_token", "loginToken", "token") and isinstance(value, str):
                yield value
            else:
                yield from _secret_values(value)
    elif isinstance(document, list):
        for item in document:
            yield from _secret_values(item)


@pytest.fixture(scope="session")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    ledger = Ledger(root=tmp_path_factory.mktemp("launcher-core-profiles"))
    ledger.add(*EMPLOYEES.values(), *RC_USERS.values(), CREATE_TOKENS_SECRET, "admin-pw")
    yield ledger
    found = leaks(ledger.root, ledger.secrets)
    assert found == [], f"secrets in the launcher tests' log files: {found}"


@pytest.fixture
def profile(request: pytest.FixtureRequest, ledger: Ledger) -> Paths:
    """A throw-away launcher profile for this test, with its own keyring namespace."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)[:80]
    return Paths.under(ledger.root / name)


@pytest.fixture(autouse=True)
def _log_to_profile(profile: Paths) -> Iterator[None]:
    setup = setup_logging(profile, verbose=True)
    yield
    setup.close()


@pytest.fixture
def store(profile: Paths, desktop_session: object) -> Iterator[CredentialStore]:
    """The real Secret Service, in this test's namespace; emptied afterwards."""
    credential_store = CredentialStore(profile.keyring_namespace)
    yield credential_store
    credential_store.clear()


def keyring_entry(store: CredentialStore, kind: str) -> dict[str, Any] | None:
    """What the keyring itself holds for an entry (read with plain ``keyring``, not the store)."""
    user = {"org-login": "login", "org-session": "session", "rocketchat-token": "token"}[kind]
    raw = keyring.get_password(store.service(kind), user)
    return None if raw is None else json.loads(raw)


@pytest.fixture(scope="session")
def users_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lines = []
    for username, password in EMPLOYEES.items():
        lines += [
            "[[users]]",
            f'username = "{username}"',
            f'name = "{username.title()} Example"',
            f'email = "{username}@example.com"',
            f'password_hash = "{hash_password(password, n=2**10)}"',  # cheap scrypt for tests
            "",
        ]
    path = tmp_path_factory.mktemp("directory") / "users.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _costly(request: pytest.FixtureRequest) -> bool:
    return any(request.node.get_closest_marker(tier) for tier in ("real", "window", "package"))


@pytest.fixture
def in_process_apps() -> dict[tuple[str, int], InProcessTransport]:
    """The apps of this test's in-process servers by (host, port): ``client_for`` routes their address to them."""
    return {}


@pytest.fixture
def rc(
    request: pytest.FixtureRequest, in_process_apps: dict[tuple[str, int], InProcessTransport]
) -> Iterator[Sandbox]:
    """A Rocket.Chat stand-in; "rita" is a Rocket.Chat-only account (mode "rocketchat").

    It serves on 127.0.0.1 for a test of a costly tier; for a fast (unmarked) one it has an address that
    nobody listens on, and ``client_for``'s clients reach its app there in process."""
    users = [
        SandboxUser(username=u, password=p, name=u.title(), email=f"{u}@rc.example.com", roles=["user"])
        for u, p in RC_USERS.items()
    ]
    users.append(
        SandboxUser(
            username="admin", password="admin-pw", name="Admin", email="admin@rc.example.com", roles=["admin"]
        )
    )
    config = SandboxConfig(
        users=users,
        create_tokens_secret=CREATE_TOKENS_SECRET,
        settings={"Iframe_Integration_receive_enable": True, "Iframe_Integration_receive_origin": "*"},
    )
    if _costly(request):
        with Sandbox(config) as sandbox:
            yield sandbox
        return
    sandbox = Sandbox(config, port=_unused_port())
    transport = InProcessTransport(sandbox.app)
    in_process_apps[("127.0.0.1", sandbox.port)] = transport
    yield sandbox
    transport.close()


def _unused_port() -> int:
    """A port nothing listens on (bound for a moment, never listened on), as an in-process server's address."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Routes(httpx.BaseTransport):
    """In-process apps by address; any other address goes over the client's own transport."""

    def __init__(self, apps: dict[tuple[str, int], InProcessTransport], other: httpx.BaseTransport) -> None:
        self._apps, self._other = apps, other

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        app = self._apps.get((request.url.host, request.url.port or 80))
        return (app or self._other).handle_request(request)

    def close(self) -> None:
        self._other.close()


@dataclass
class Org:
    url: str
    server: BackgroundServer
    config: TokenServiceConfig


@pytest.fixture
def start_org(rc: Sandbox, users_file: Path) -> Iterator[Callable[..., Org]]:
    """Start token services in front of ``rc``; keyword arguments override TokenServiceConfig fields."""
    servers: list[BackgroundServer] = []

    def start(**overrides: Any) -> Org:
        config = token_service_config(rc.url, users_file, CREATE_TOKENS_SECRET, **overrides)
        server = BackgroundServer(create_app(config)).start()
        servers.append(server)
        return Org(url=server.url, server=server, config=config)

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def org(start_org: Callable[..., Org]) -> Org:
    return start_org()


@pytest.fixture
def settings_for(profile: Paths) -> Callable[..., Settings]:
    """Settings from a real user config file in the profile: ``settings_for(rc_url, org_url, **values)``."""

    def make(rocketchat_url: str, organization_url: str | None = None, **values: Any) -> Settings:
        flat: dict[str, Any] = {"rocketchat.url": rocketchat_url}
        if organization_url:
            flat["organization.url"] = organization_url
        flat.update({key.replace("__", "."): value for key, value in values.items()})
        profile.config_dir.mkdir(parents=True, exist_ok=True)
        profile.user_config_file.write_text(to_toml(flat), encoding="utf-8")
        return load_settings(env={}, paths=profile, site_config_dirs=[])

    return make


def to_toml(flat: Mapping[str, Any]) -> str:
    """Flat dotted keys -> a TOML document (tables per prefix), enough for test configs."""
    tables: dict[str, dict[str, Any]] = {}
    for key, value in flat.items():
        table, _, leaf = key.rpartition(".")
        tables.setdefault(table, {})[leaf] = value
    lines = [f"{k} = {json.dumps(v)}" for k, v in tables.pop("", {}).items()]
    for table, items in tables.items():
        lines.append(f"[{table}]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in items.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture
def client_for(
    ledger: Ledger, in_process_apps: dict[tuple[str, int], InProcessTransport]
) -> Iterator[Callable[[Settings], httpx.Client]]:
    """The launcher's own client for ``settings``, with a hook that puts every token seen in the ledger
    and a list of the requests it made (``client.sent``); it reaches in-process servers in process."""
    clients: list[httpx.Client] = []

    def make(settings: Settings) -> httpx.Client:
        client = make_client(settings)
        if in_process_apps:  # the wire only: settings, headers and hooks stay the launcher's
            client._transport = _Routes(in_process_apps, client._transport)
        sent: list[str] = []

        def on_request(request: httpx.Request) -> None:
            sent.append(f"{request.method} {request.url.path}")

        client.event_hooks = {"request": [on_request], "response": [ledger.record_response]}
        client.sent = sent  # type: ignore[attr-defined]
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(profile: Paths, desktop_session: object) -> Callable[..., CliResult]:
    """Run ``python -m launcher --profile <this test's profile> ARGS`` in a subprocess."""

    def run(
        *args: str,
        input: str | None = None,
        env: Mapping[str, str] | None = None,
        profile_dir: Path | None = None,
    ) -> CliResult:
        root = profile_dir or profile.config_dir.parent
        environment = dict(os.environ if env is None else env)
        if env is None:
            environment.pop("ROCKETCHAT_LAUNCHER_CONFIG", None)
        # The repository first; what was there stays (tests/support/python_startup, see tests/conftest.py).
        environment["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(REPO_ROOT), environment.get("PYTHONPATH")])
        )
        completed = subprocess.run(
            [sys.executable, "-m", "launcher", "--profile", str(root), *args],
            input=input,
            capture_output=True,
            text=True,
            env=environment,
            timeout=60,
            cwd=REPO_ROOT,
        )
        return CliResult(completed.returncode, completed.stdout, completed.stderr)

    return run
