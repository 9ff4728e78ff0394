"""Login throttling under concurrency and across client addresses, over real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tokenservice.directory import Employee, UsersFileDirectory
from tokenservice.known_addresses import KnownAddresses
from tokenservice.throttle import ThrottleSettings

from .conftest import EMPLOYEES, RunningService

pytestmark = pytest.mark.real


class SlowDirectory:
    """The users file, but every password check takes `delay` seconds and is counted."""

    def __init__(self, users_file: Path, delay: float) -> None:
        self._inner = UsersFileDirectory(users_file)
        self._delay = delay
        self.checks = 0

    async def authenticate(self, username: str, password: str) -> Employee | None:
        self.checks += 1
        await asyncio.sleep(self._delay)
        return await self._inner.authenticate(username, password)

    async def lookup(self, username: str) -> Employee | None:
        return await self._inner.lookup(username)

    async def canonical_name(self, username: str) -> str | None:
        return await self._inner.canonical_name(username)

    async def check(self) -> None:
        await self._inner.check()

    async def aclose(self) -> None:
        await self._inner.aclose()


async def _guesses(url: str, wrong: int, right_password: str) -> tuple[list[int], int]:
    """`wrong` concurrent wrong guesses for alice, then (while they are still checked) the right one."""
    limits = httpx.Limits(max_connections=wrong + 1)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30.0) as client:

        async def guess(password: str) -> int:
            resp = await client.post("/api/login", json={"username": "alice", "password": password})
            return resp.status_code

        pending = [asyncio.create_task(guess(f"guess-{n}")) for n in range(wrong)]
        await asyncio.sleep(0.3)  # all of them are in flight, none has been answered yet
        right = await guess(right_password)
        return list(await asyncio.gather(*pending)), right


def test_concurrent_guesses_cannot_overrun_the_username_limit(
    start_service: Callable[..., RunningService], users_file: Path
) -> None:
    directory = SlowDirectory(users_file, delay=1.0)
    service = start_service(
        directory=directory,
        throttle=ThrottleSettings(max_failures_per_username=5, max_failures_per_address=20, window=900),
    )

    wrong, right = asyncio.run(_guesses(service.url, 39, EMPLOYEES["alice"][0]))

    assert directory.checks == 5  # only as many guesses as the limit reached the password check
    assert sorted(wrong) == [401] * 5 + [429] * 34
    assert right == 429  # the right password, sent 40th, is refused too


def _from(address: str) -> httpx.Client:
    """A client whose connections come from `address` (any 127.x.y.z is this machine's loopback)."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address))


def _login_from(service: RunningService, address: str, username: str, password: str) -> int:
    with _from(address) as client:
        body = {"username": username, "password": password}
        return client.post(f"{service.url}/api/login", json=body).status_code


def test_failures_from_one_address_do_not_lock_the_employee_out_elsewhere(
    start_service: Callable[..., RunningService],
) -> None:
    service = start_service(
        throttle=ThrottleSettings(max_failures_per_username=3, max_failures_per_address=100, window=60)
    )
    for _ in range(3):
        assert _login_from(service, "127.0.0.66", "alice", "guess") == 401

    assert _login_from(service, "127.0.0.66", "alice", "alice-pw") == 429  # that address is held back...
    assert _login_from(service, "127.0.0.2", "alice", "alice-pw") == 200  # ...alice elsewhere is not


def test_many_failures_across_addresses_hold_back_the_username_except_from_a_known_address(
    start_service: Callable[..., RunningService],
) -> None:
    service = start_service(
        throttle=ThrottleSettings(
            max_failures_per_username=3,
            max_failures_per_address=100,
            max_failures_per_username_everywhere=6,
            window=60,
        )
    )
    assert _login_from(service, "127.0.0.2", "alice", "alice-pw") == 200  # alice's own desk, known now
    for attacker in ("127.0.0.10", "127.0.0.11", "127.0.0.12"):
        for _ in range(2):
            assert _login_from(service, attacker, "alice", "guess") == 401

    assert _login_from(service, "127.0.0.13", "alice", "guess") == 429  # a new address is held back...
    assert _login_from(service, "127.0.0.14", "alice", "alice-pw") == 429  # ...even with the password
    assert _login_from(service, "127.0.0.2", "alice", "alice-pw") == 200  # her known address gets in
    assert _login_from(service, "127.0.0.2", "bob", "bob-pw") == 200  # other employees are unaffected

    service.clock.advance(60)
    assert _login_from(service, "127.0.0.14", "alice", "alice-pw") == 200


def test_known_addresses_are_bounded_oldest_forgotten_first() -> None:
    known = KnownAddresses(capacity=2)
    known.remember("Alice", "10.0.0.1")
    known.remember("alice", "10.0.0.2")
    known.remember("alice", "10.0.0.1")  # signed in again: now the most recent
    known.remember("bob", "10.0.0.3")

    assert len(known) == 2
    assert known.known("ALICE", "10.0.0.1") and known.known("bob", "10.0.0.3")
    assert not known.known("alice", "10.0.0.2")
