"""The servers the start-up benchmark runs against, in this process: the development stack
(devstack.demo.DemoStack: rcsandbox and the token service) with the benchmark's users and knobs.

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

from devstack.demo import DemoStack, DemoUser
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


class BenchStack(DemoStack):
    """The development stack with one employee and one Rocket.Chat-only account; a context manager."""

    def __init__(self, workdir: Path) -> None:
        # Throw-away passwords for a throw-away directory; the employee's goes to the launcher through its
        # keyring (stored-login profiles) or the e2e driver's input file (first run), never argv.
        super().__init__(
            workdir,
            [
                DemoUser(
                    username=BENCH_USER,
                    password="bench-" + secrets.token_urlsafe(12),
                    name="Bench User",
                    email="bench.user@example.com",
                )
            ],
            rocketchat_users=[
                DemoUser(
                    username=FLOOR_USER,
                    password="floor-" + secrets.token_urlsafe(12),
                    name="Bench Floor",
                    email="bench.floor@example.com",
                )
            ],
            organization=_ORGANIZATION,
            login_rate_limit=1_000_000,
            throttle=ThrottleSettings(
                max_failures_per_username=1_000_000, max_failures_per_address=1_000_000
            ),
        )

    @property
    def password(self) -> str:
        return self.user.password

    @property
    def floor_password(self) -> str:
        return self.rocketchat_users[0].password

    def apply(self, conditions: Conditions) -> None:
        """Set the start delay and latency; pages read the delay when they load, services per request."""
        self.set_client_start_delay(conditions.client_start_delay)
        self.set_latency(conditions.latency)

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


def _seconds(value: float) -> str:
    return f"{value:g} s" if value >= 1 or value == 0 else f"{round(value * 1000)} ms"
