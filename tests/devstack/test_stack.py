"""The development stack (devstack.demo.DemoStack) and the benchmark's stack built on it (bench.stack):
real servers on loopback, what each caller configures, and the latency knobs. No timing is asserted
beyond a lower bound the added latency guarantees."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bench.stack import BENCH_USER, FLOOR_USER, BenchStack, Conditions
from devstack.demo import DEMO_ORGANIZATION, DemoStack, DemoUser
from tokenservice.throttle import ThrottleSettings

ALICE = DemoUser(username="alice", password="alice-throwaway-pw", name="Alice Doe", email="alice@example.com")


def _rc_login(url: str, username: str, password: str) -> int:
    with httpx.Client(base_url=url, timeout=10.0) as client:
        return client.post("/api/v1/login", json={"user": username, "password": password}).status_code


def _org_login(url: str, username: str, password: str) -> int:
    with httpx.Client(base_url=url, timeout=10.0) as client:
        return client.post("/api/login", json={"username": username, "password": password}).status_code


@pytest.mark.real
def test_demo_stack_keeps_the_servers_defaults(tmp_path: Path) -> None:
    with DemoStack(tmp_path / "stack", [ALICE], client_start_delay=0.5, password_cost=2**10) as stack:
        assert stack.user is ALICE
        assert stack.sandbox.state.limiter.limit == 10  # rcsandbox's own default
        assert stack.sandbox.state.client_start_delay == 0.5
        assert stack.sandbox.state.latency == 0.0
        assert stack.token_config.throttle == ThrottleSettings()
        assert stack.token_config.latency == 0.0
        assert stack.sandbox.user_id(ALICE.username) is None  # an employee: Rocket.Chat learns it at sign-in
        assert _org_login(stack.organization_url, ALICE.username, ALICE.password) == 200
        config = stack.write_launcher_config(tmp_path / "launcher.toml", login_strategy="token").read_text()
        assert config == (
            'login_strategy = "token"\n'
            f'[rocketchat]\nurl = "{stack.rocketchat_url}"\n'
            f'[organization]\nname = "{DEMO_ORGANIZATION}"\nurl = "{stack.organization_url}"\n'
        )
        named = stack.write_launcher_config(tmp_path / "named.toml", "Acme").read_text()
        assert 'name = "Acme"' in named


def test_demo_stack_generates_a_demo_user(tmp_path: Path) -> None:
    stack = DemoStack(tmp_path / "stack")
    assert stack.users == [stack.user]
    assert stack.user.username == "demo"
    assert stack.user.password.startswith("demo-")
    assert stack.user.password not in repr(stack.user)


@pytest.mark.real
def test_bench_stack_is_the_dev_stack_with_the_benchmarks_users_and_limits(tmp_path: Path) -> None:
    with BenchStack(tmp_path / "stack") as stack:
        assert isinstance(stack, DemoStack)
        assert stack.user.username == BENCH_USER
        assert stack.password.startswith("bench-")
        assert stack.floor_password.startswith("floor-")
        assert stack.sandbox.state.limiter.limit == 1_000_000
        assert stack.token_config.throttle == ThrottleSettings(
            max_failures_per_username=1_000_000, max_failures_per_address=1_000_000
        )
        # the floor account is Rocket.Chat's own; the employee only the token service's
        assert stack.sandbox.user_id(FLOOR_USER) is not None
        assert stack.sandbox.user_id(BENCH_USER) is None
        assert _rc_login(stack.rocketchat_url, FLOOR_USER, stack.floor_password) == 200
        assert _org_login(stack.organization_url, FLOOR_USER, stack.floor_password) == 401
        users = (tmp_path / "stack" / "users.toml").read_text()
        assert users.startswith(
            '[[users]]\nusername = "bench.user"\nname = "Bench User"\nemail = "bench.user@example.com"\n'
            'password_hash = "scrypt$n=16384,'
        )
        assert (tmp_path / "stack" / "users.toml").stat().st_mode & 0o777 == 0o600

        config_file = stack.write_launcher_config(tmp_path / "launcher.toml")
        assert config_file.read_text() == (
            f'[rocketchat]\nurl = "{stack.rocketchat_url}"\n'
            f'[organization]\nname = "Bench Corp"\nurl = "{stack.organization_url}"\n'
        )
        assert stack.token_round_trips(config_file, repeat=1) > 0
        assert stack.sandbox.user_id(BENCH_USER) is not None  # created by the token service
        logins = stack.logins_between(0, float("inf"))
        assert {"time", "method", "username"} <= set(logins[0])
        assert stack.logins_between(0, 0) == []


@pytest.mark.real
def test_bench_stack_apply_sets_the_knobs_of_both_servers(tmp_path: Path) -> None:
    with BenchStack(tmp_path / "stack") as stack:
        config_file = stack.write_launcher_config(tmp_path / "launcher.toml")
        stack.apply(Conditions(client_start_delay=0.25, latency=0.05))
        assert stack.sandbox.state.client_start_delay == 0.25
        assert stack.sandbox.state.latency == 0.05
        assert stack.token_config.latency == 0.05
        # the service's login and token answers, and the Rocket.Chat calls behind them, each wait
        assert stack.token_round_trips(config_file, repeat=1) >= 0.2
        stack.apply(Conditions(client_start_delay=0.0, latency=0.0))
        assert (stack.sandbox.state.client_start_delay, stack.sandbox.state.latency) == (0.0, 0.0)
        assert stack.token_config.latency == 0.0
