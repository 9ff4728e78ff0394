"""Login throttling under concurrency and across client addresses, over real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import httpx

from tokenservice.directory import Employee, UsersFileDirectory
from tokenservice.throttle import ThrottleSettings

from .conftest import EMPLOYEES, RunningService


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
