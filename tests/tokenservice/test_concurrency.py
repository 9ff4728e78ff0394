"""Many first-time requests for one new employee at once: one Rocket.Chat user, every caller a working token."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import httpx
import pytest

from rcsandbox import Sandbox

from .conftest import EMPLOYEES, RunningService

pytestmark = pytest.mark.real

CONCURRENT = 50


async def _first_logins(url: str, username: str, count: int) -> list[httpx.Response]:
    password = EMPLOYEES[username][0]
    limits = httpx.Limits(max_connections=count)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30.0) as client:

        async def one() -> httpx.Response:
            login = await client.post("/api/login", json={"username": username, "password": password})
            assert login.status_code == 200, login.text
            bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}
            return await client.post("/api/rocketchat/token", headers=bearer)

        return await asyncio.gather(*(one() for _ in range(count)))


async def _all_accepted(rc_url: str, bodies: list[dict[str, str]]) -> list[int]:
    async with httpx.AsyncClient(base_url=rc_url, timeout=30.0) as client:
        answers = await asyncio.gather(
            *(
                client.get("/api/v1/me", headers={"X-User-Id": b["userId"], "X-Auth-Token": b["authToken"]})
                for b in bodies
            )
        )
    return [a.status_code for a in answers]


def test_fifty_concurrent_first_logins_create_one_user(rc: Sandbox, service: RunningService) -> None:
    rc.set_latency(0.05)  # every Rocket.Chat answer is slow, so the fifty requests really overlap

    answers = asyncio.run(_first_logins(service.url, "alice", CONCURRENT))

    assert [a.status_code for a in answers] == [200] * CONCURRENT
    bodies = [a.json() for a in answers]
    assert len(rc.events(kind="user-created")) == 1
    assert {b["userId"] for b in bodies} == {rc.user_id("alice")}
    rc.set_latency(0.0)
    assert asyncio.run(_all_accepted(rc.url, bodies)) == [200] * CONCURRENT


def test_two_service_instances_racing_on_a_new_user(
    rc: Sandbox, start_service: Callable[..., RunningService], caplog: pytest.LogCaptureFixture
) -> None:
    """The second users.create gets error-field-unavailable; that instance looks the user up again."""
    caplog.set_level(logging.INFO, logger="tokenservice")
    first, second = start_service(), start_service()
    rc.set_latency(0.1)

    async def race() -> list[httpx.Response]:
        return [
            r
            for group in await asyncio.gather(
                _first_logins(first.url, "bob", 5), _first_logins(second.url, "bob", 5)
            )
            for r in group
        ]

    answers = asyncio.run(race())

    assert [a.status_code for a in answers] == [200] * 10
    assert len(rc.events(kind="user-created")) == 1
    retried = [r for r in caplog.records if "found it taken; looking the user up again" in r.getMessage()]
    assert len(retried) == 1
    rc.set_latency(0.0)
    assert asyncio.run(_all_accepted(rc.url, [a.json() for a in answers])) == [200] * 10
    assert {a.json()["userId"] for a in answers} == {rc.user_id("bob")}
