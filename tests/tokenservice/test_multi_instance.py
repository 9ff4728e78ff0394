"""Three `python -m tokenservice` processes sharing one real redis-server, against one rcsandbox."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from rcsandbox import Sandbox
from tests.support.servers import RedisServer, free_port, stop_process, wait_for_http

from .conftest import EMPLOYEES, write_users_file
from .test_config_and_cli import REPO, _edit, _sandbox_config

pytestmark = pytest.mark.real

CONCURRENT = 50


@pytest.fixture
def instances(
    tmp_path: Path, rc: Sandbox
) -> Iterator[Callable[[int], list[tuple[str, subprocess.Popen[str]]]]]:
    redis_server = RedisServer(tmp_path / "redis").start()
    config = _sandbox_config(tmp_path, rc)
    write_users_file(tmp_path / "users.toml", EMPLOYEES)
    _edit(config, "secure = true", "secure = false")
    _edit(config, '# redis_url = "rediss://redis.internal:6380/0"', f'redis_url = "{redis_server.url}"')
    procs: list[subprocess.Popen[str]] = []

    def start(count: int) -> list[tuple[str, subprocess.Popen[str]]]:
        started = []
        for _ in range(count):
            port = free_port()
            proc = subprocess.Popen(
                [sys.executable, "-m", "tokenservice", "--config", str(config), "--port", str(port)],
                cwd=REPO,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
                text=True,
            )
            procs.append(proc)
            started.append((f"http://127.0.0.1:{port}", proc))
        for url, proc in started:
            wait_for_http(proc, f"{url}/readyz", "a token-service instance")
        return started

    yield start
    for proc in procs:
        stop_process(proc, timeout=15)
    redis_server.stop()


async def _login_and_token(client: httpx.AsyncClient, url: str, username: str) -> httpx.Response:
    login = await client.post(
        f"{url}/api/login", json={"username": username, "password": EMPLOYEES[username][0]}
    )
    assert login.status_code == 200, login.text
    bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}
    return await client.post(f"{url}/api/rocketchat/token", headers=bearer)


def test_fifty_first_logins_spread_over_three_processes_make_one_user(
    rc: Sandbox, instances: Callable[[int], list[tuple[str, subprocess.Popen[str]]]]
) -> None:
    urls = [url for url, _ in instances(3)]
    rc.set_latency(0.05)

    async def run() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=60.0, limits=httpx.Limits(max_connections=CONCURRENT)) as client:
            return await asyncio.gather(
                *(_login_and_token(client, urls[n % 3], "alice") for n in range(CONCURRENT))
            )

    started = time.monotonic()
    answers = asyncio.run(run())
    elapsed = time.monotonic() - started
    print(f"{CONCURRENT} first logins over 3 processes: {elapsed:.2f} s")
    assert [a.status_code for a in answers] == [200] * CONCURRENT
    assert len(rc.events(kind="user-created")) == 1
    bodies = [a.json() for a in answers]
    assert {b["userId"] for b in bodies} == {rc.user_id("alice")}
    assert len({b["authToken"] for b in bodies}) == 1
    rc.set_latency(0.0)
    me = httpx.get(
        f"{rc.url}/api/v1/me",
        headers={"X-User-Id": bodies[0]["userId"], "X-Auth-Token": bodies[0]["authToken"]},
    )
    assert me.status_code == 200


def test_an_instance_killed_mid_load_loses_no_session(
    rc: Sandbox, instances: Callable[[int], list[tuple[str, subprocess.Popen[str]]]]
) -> None:
    (a, _), (b, b_proc), (c, _) = instances(3)
    # Sessions made on the instance that will be killed.
    bearers = []
    for username in ("alice", "bob", "carol") * 4:
        login = httpx.post(f"{b}/api/login", json={"username": username, "password": EMPLOYEES[username][0]})
        assert login.status_code == 200
        bearers.append({"Authorization": f"Bearer {login.json()['access_token']}"})
    rc.set_latency(0.02)

    async def load() -> tuple[list[int], int]:
        async with httpx.AsyncClient(timeout=30.0) as client:

            async def survivor_requests(url: str) -> list[int]:
                codes = []
                for _ in range(4):
                    answers = await asyncio.gather(
                        *(client.post(f"{url}/api/rocketchat/token", headers=h) for h in bearers)
                    )
                    codes += [r.status_code for r in answers]
                return codes

            async def on_b() -> int:
                failed = 0
                for _ in range(20):
                    try:
                        await client.post(f"{b}/api/rocketchat/token", headers=bearers[0])
                    except httpx.TransportError:
                        failed += 1
                    await asyncio.sleep(0.02)
                return failed

            async def kill_b() -> None:
                await asyncio.sleep(0.15)
                b_proc.kill()  # SIGKILL: no shutdown, nothing saved on the way out

            codes_a, codes_c, b_failures, _ = await asyncio.gather(
                survivor_requests(a), survivor_requests(c), on_b(), kill_b()
            )
            return codes_a + codes_c, b_failures

    codes, b_failures = asyncio.run(load())
    assert b_proc.wait(timeout=10) == -signal.SIGKILL
    assert b_failures > 0  # the killed instance really went away during the load
    assert codes == [200] * len(codes)  # the others kept serving every session, the killed one's included
    for bearer in bearers:
        assert httpx.post(f"{a}/api/rocketchat/token", headers=bearer).status_code == 200
        assert httpx.post(f"{c}/api/rocketchat/token", headers=bearer).status_code == 200


def test_sigterm_finishes_requests_in_flight(
    rc: Sandbox, instances: Callable[[int], list[tuple[str, subprocess.Popen[str]]]]
) -> None:
    ((url, proc),) = instances(1)
    login = httpx.post(f"{url}/api/login", json={"username": "alice", "password": EMPLOYEES["alice"][0]})
    bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}
    rc.set_latency(0.4)  # the first token request makes several Rocket.Chat calls: well over a second

    async def request_then_terminate() -> httpx.Response:
        async with httpx.AsyncClient(timeout=30.0) as client:
            pending = asyncio.create_task(client.post(f"{url}/api/rocketchat/token", headers=bearer))
            await asyncio.sleep(0.3)
            proc.send_signal(signal.SIGTERM)
            return await pending

    answer = asyncio.run(request_then_terminate())
    assert answer.status_code == 200, answer.text
    # uvicorn re-raises the signal once it has shut down cleanly.
    assert proc.wait(timeout=15) in (0, -signal.SIGTERM)
