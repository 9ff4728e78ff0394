"""The servers the start-up benchmark runs against, in this process: rcsandbox and the token service.

One stack lives for the whole benchmark, because a returning launcher profile keeps Rocket.Chat's web
session per origin: a restarted sandbox (new port) would sign every profile out. The latency knobs are
changed between variant sets instead (`apply`). Rate limits are raised: the benchmark signs in dozens of
times a minute on purpose, which is not what the limits are for.
"""

from __future__ import annotations

import secrets
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rcsandbox import Sandbox, SandboxConfig, SandboxUser
from rcsandbox.background import BackgroundServer
from tokenservice.app import create_app
from tokenservice.config import CookieSettings, ServiceAccount, TokenServiceConfig
from tokenservice.directory import UsersFileDirectory
from tokenservice.passwords import hash_password
from tokenservice.throttle import ThrottleSettings

__all__ = ["BENCH_USER", "FLOOR_USER", "BenchStack", "Conditions"]

BENCH_USER = "bench.user"
FLOOR_USER = "bench.floor"  # a Rocket.Chat-only account: the bare window signs in with the page's own form
_ORGANIZATION = "Bench Corp"


@dataclass(frozen=True)
class Conditions:
    """One variant set: the web client's start delay and the latency of every REST answer (seconds).

    The latency applies to both servers, so a token fetch through the token service pays it at the token
    service and again at every Rocket.Chat call the service makes."""

    client_start_delay: float
    latency: float

    @property
    def label(self) -> str:
        return f"delay {_seconds(self.client_start_delay)} / latency {_seconds(self.latency)}"

    @property
    def key(self) -> str:
        return f"d{round(self.client_start_delay * 1000)}-l{round(self.latency * 1000)}"


class BenchStack:
    """rcsandbox + token service on 127.0.0.1 with one employee; a context manager."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = Path(workdir)
        # A throw-away password for a throw-away directory; it goes to the launcher through its
        # keyring (stored-login profiles) or the e2e driver's input file (first run), never argv.
        self.password = "bench-" + secrets.token_urlsafe(12)
        self.floor_password = "floor-" + secrets.token_urlsafe(12)
        self._secret = secrets.token_urlsafe(16)
        self.sandbox: Sandbox | None = None
        self._service: BackgroundServer | None = None
        self._config: TokenServiceConfig | None = None

    @property
    def rocketchat_url(self) -> str:
        assert self.sandbox is not None
        return self.sandbox.url

    @property
    def organization_url(self) -> str:
        assert self._service is not None
        return self._service.url

    def start(self) -> BenchStack:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.sandbox = Sandbox(
            SandboxConfig(
                users=[
                    SandboxUser(
                        username=FLOOR_USER,
                        password=self.floor_password,
                        name="Bench Floor",
                        email="bench.floor@example.com",
                        roles=["user"],
                    )
                ],
                create_tokens_secret=self._secret,
                settings={
                    "Iframe_Integration_receive_enable": True,
                    "Iframe_Integration_receive_origin": "*",
                },
                login_rate_limit=1_000_000,
            )
        ).start()
        self._config = TokenServiceConfig(
            rocketchat_url=self.sandbox.url,
            service_account=ServiceAccount(username="admin", password="admin-pw"),  # noqa: S106 (sandbox)
            directory=UsersFileDirectory(self._users_file()),
            create_tokens_secret=self._secret,
            cookie=CookieSettings(secure=False, samesite="lax"),  # plain http on loopback
            throttle=ThrottleSettings(
                max_failures_per_username=1_000_000, max_failures_per_address=1_000_000
            ),
        )
        try:
            self._service = BackgroundServer(create_app(self._config)).start()
        except BaseException:
            self.sandbox.stop()
            raise
        return self

    def stop(self) -> None:
        if self._service is not None:
            self._service.stop()
        if self.sandbox is not None:
            self.sandbox.stop()

    def __enter__(self) -> BenchStack:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def apply(self, conditions: Conditions) -> None:
        """Set the start delay and latency; pages read the delay when they load, services per request."""
        assert self.sandbox is not None and self._config is not None
        self.sandbox.set_client_start_delay(conditions.client_start_delay)
        self.sandbox.set_latency(conditions.latency)
        self._config.latency = conditions.latency

    def write_launcher_config(self, path: Path) -> Path:
        """A launcher.toml for this stack (organization mode, the token service's default contract)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            "[rocketchat]\n"
            f'url = "{self.rocketchat_url}"\n'
            "[organization]\n"
            f'name = "{_ORGANIZATION}"\n'
            f'url = "{self.organization_url}"\n',
            encoding="utf-8",
        )
        return path

    def token_round_trips(self, config_file: Path, repeat: int = 3) -> float:
        """Median seconds of what a stored-login start adds: organization login + Rocket.Chat token, with
        the launcher's own client code and HTTP settings (a fresh connection each time, like a new
        process)."""
        from launcher.config import load_settings
        from launcher.signin.http import make_client
        from launcher.signin.orgclient import OrganizationClient

        settings = load_settings(env={}, config_file=config_file, site_config_dirs=[])
        assert settings.organization is not None
        samples: list[float] = []
        for _ in range(repeat):
            with make_client(settings) as client:
                org = OrganizationClient(settings.organization, client)
                started = time.perf_counter()
                session = org.login(BENCH_USER, self.password)
                org.rocketchat_token(session)
                samples.append(time.perf_counter() - started)
        return statistics.median(samples)

    def logins_between(self, start_epoch: float, end_epoch: float) -> list[dict[str, Any]]:
        """Rocket.Chat logins the server answered in [start, end] (epoch s): method and time."""
        assert self.sandbox is not None
        return [
            {"time": e["time"], "method": e.get("method"), "username": e.get("username")}
            for e in self.sandbox.events(kind="login")
            if start_epoch <= e["time"] <= end_epoch
        ]

    def _users_file(self) -> Path:
        path = self.workdir / "users.toml"
        path.write_text(
            "[[users]]\n"
            f'username = "{BENCH_USER}"\nname = "Bench User"\nemail = "bench.user@example.com"\n'
            f'password_hash = "{hash_password(self.password)}"\n',
            encoding="utf-8",
        )
        path.chmod(0o600)
        return path


def _seconds(value: float) -> str:
    return f"{value:g} s" if value >= 1 or value == 0 else f"{round(value * 1000)} ms"
