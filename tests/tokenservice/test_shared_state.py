"""Several token-service instances sharing one real redis-server: sessions, token cache and the lock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import redis

from rcsandbox import Sandbox
from tests.support.servers import RedisServer
from tokenservice.config import ConfigError, TokenServiceConfig
from tokenservice.state import redact_url

from .conftest import EMPLOYEES, RunningService, base_config

pytestmark = pytest.mark.real

CONCURRENT = 50


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def shared(
    redis_server: RedisServer, start_service: Callable[..., RunningService]
) -> Iterator[Callable[..., RunningService]]:
    """Start instances sharing `redis_server`, which is emptied before each test."""
    client = redis.Redis.from_url(redis_server.url)
    client.flushdb()
    client.close()

    def start(**overrides: object) -> RunningService:
        return start_service(redis_url=redis_server.url, **overrides)

    yield start


def _bearer(resp: httpx.Response) -> dict[str, str]:
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def test_a_session_made_on_one_instance_works_on_another(shared: Callable[..., RunningService]) -> None:
    one, two = shared(), shared()
    bearer = _bearer(one.login("alice"))
    on_two = two.token(bearer)
    assert on_two.status_code == 200, on_two.text
    # The Rocket.Chat token is shared too: the other instance hands out the same one.
    assert one.token(bearer).json()["authToken"] == on_two.json()["authToken"]
    # Ending it on one ends it everywhere.
    assert httpx.post(f"{two.url}/api/logout", headers=bearer).status_code == 200
    assert one.token(bearer).status_code == 401


def test_only_hashes_of_session_tokens_are_stored_with_ttls(
    redis_server: RedisServer, shared: Callable[..., RunningService]
) -> None:
    service = shared()
    session_token = service.login("bob").json()["access_token"]
    assert service.token({"Authorization": f"Bearer {session_token}"}).status_code == 200
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    try:
        keys = client.keys("*")
        assert any(k.startswith("tokenservice:session:") for k in keys)
        assert any(k.startswith("tokenservice:rc-token:") for k in keys)
        for key in keys:
            assert session_token not in key
            value = client.get(key)
            assert value is None or session_token not in value
            ttl = client.ttl(key)
            assert ttl > 0, key  # every key expires by itself
        session_key = next(k for k in keys if k.startswith("tokenservice:session:"))
        lifetime = service.config.session_lifetime
        assert lifetime < client.ttl(session_key) <= lifetime + 86400
    finally:
        client.close()


async def _first_logins(urls: list[str], username: str, count: int) -> list[httpx.Response]:
    password = EMPLOYEES[username][0]
    limits = httpx.Limits(max_connections=count)
    async with httpx.AsyncClient(limits=limits, timeout=60.0) as client:

        async def one(url: str) -> httpx.Response:
            login = await client.post(f"{url}/api/login", json={"username": username, "password": password})
            assert login.status_code == 200, login.text
            bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}
            return await client.post(f"{url}/api/rocketchat/token", headers=bearer)

        return await asyncio.gather(*(one(urls[n % len(urls)]) for n in range(count)))


def test_fifty_first_logins_across_three_instances_create_one_user(
    rc: Sandbox, shared: Callable[..., RunningService]
) -> None:
    instances = [shared(), shared(), shared()]
    rc.set_latency(0.05)  # slow Rocket.Chat answers, so the requests really overlap on every instance

    answers = asyncio.run(_first_logins([s.url for s in instances], "carol", CONCURRENT))

    assert [a.status_code for a in answers] == [200] * CONCURRENT
    assert len(rc.events(kind="user-created")) == 1
    bodies = [a.json() for a in answers]
    assert {b["userId"] for b in bodies} == {rc.user_id("carol")}
    assert len({b["authToken"] for b in bodies}) == 1  # one token minted, shared by all three instances
    rc.set_latency(0.0)
    for body in bodies[:: CONCURRENT // 5]:
        me = httpx.get(
            f"{rc.url}/api/v1/me", headers={"X-User-Id": body["userId"], "X-Auth-Token": body["authToken"]}
        )
        assert me.status_code == 200


def test_redis_stopped_is_503_and_not_ready_then_recovers_without_a_restart(
    rc: Sandbox, tmp_path: Path, start_service: Callable[..., RunningService]
) -> None:
    server = RedisServer(tmp_path / "redis").start()
    try:
        service = start_service(redis_url=server.url)
        assert httpx.get(f"{service.url}/readyz").status_code == 200
        bearer = _bearer(service.login("alice"))
        server.stop()
        service.clock.advance(5)  # /readyz reuses its answer for a few seconds

        login = service.login("alice")
        assert (login.status_code, login.json()["error"]) == (503, "state_unavailable")
        assert "Redis" in login.json()["message"]
        assert service.token(bearer).status_code == 503
        # Rocket.Chat's page calls the iframe route across origins: the 503 must be readable there too.
        iframe = httpx.post(
            f"{service.url}/api/rocketchat/iframe-auth",
            headers={"Origin": rc.origin},
            cookies={"ts_session": "a-session-redis-cannot-check"},
        )
        assert (iframe.status_code, iframe.json()["error"]) == (503, "state_unavailable")
        assert iframe.headers["access-control-allow-origin"] == rc.origin
        ready = httpx.get(f"{service.url}/readyz")
        assert ready.status_code == 503
        assert ready.json()["ready"] is False and ready.json()["checks"]["state"] == "fail"
        assert httpx.get(f"{service.url}/healthz").status_code == 200  # alive, just not ready

        server.start()  # same port, empty (no persistence): old sessions are gone, new ones work
        service.clock.advance(5)
        assert httpx.get(f"{service.url}/readyz").status_code == 200
        assert service.token(_bearer(service.login("alice"))).status_code == 200
    finally:
        server.stop()


def test_redis_passwords_stay_out_of_config_repr_and_messages(rc: Sandbox, users_file: Path) -> None:
    assert (
        redact_url("rediss://user:s3cret@redis.internal:6380/0") == "rediss://user:***@redis.internal:6380/0"
    )
    assert redact_url("redis://redis.internal:6379/0") == "redis://redis.internal:6379/0"
    config: TokenServiceConfig = base_config(rc, users_file, redis_url="redis://:s3cret@127.0.0.1:1/0")
    assert "s3cret" not in repr(config)
    with pytest.raises(ConfigError) as caught:
        base_config(rc, users_file, redis_url="http://:s3cret@127.0.0.1:1/0")
    assert "s3cret" not in str(caught.value) and "redis://" in str(caught.value)


def test_state_table_in_the_config_file(tmp_path: Path) -> None:
    from tokenservice.config import load_config

    (tmp_path / "users.toml").write_text("", encoding="utf-8")
    (tmp_path / "redis-pw").write_text("s3cret\n", encoding="utf-8")
    text = """
[rocketchat]
url = "http://127.0.0.1:3000"
[rocketchat.service_account]
username = "admin"
password_env = "RC_PW"
[directory]
path = "users.toml"
[state]
redis_url = "{url}"
redis_password_file = "redis-pw"
"""
    config_file = tmp_path / "tokenservice.toml"
    config_file.write_text(text.format(url="rediss://redis.internal:6380/0"), encoding="utf-8")
    config = load_config(config_file, env={"RC_PW": "x"})
    assert (config.redis_url, config.redis_password) == ("rediss://redis.internal:6380/0", "s3cret")
    config_file.write_text(text.format(url="redis://:inline@redis.internal:6379/0"), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(config_file, env={"RC_PW": "x"})
    assert "inline" not in str(caught.value) and "redis_password_file" in str(caught.value)


def test_failed_logins_count_across_instances(shared: Callable[..., RunningService]) -> None:
    from tokenservice.throttle import ThrottleSettings

    throttle = ThrottleSettings(max_failures_per_username=3)
    one, two = shared(throttle=throttle), shared(throttle=throttle)
    assert [one.login("dave", "guess-1").status_code, two.login("dave", "guess-2").status_code] == [401, 401]
    assert one.login("dave", "guess-3").status_code == 401
    refused = two.login("dave")  # the right password, but this address has used up dave's tries everywhere
    assert refused.status_code == 429, refused.text
    assert int(refused.headers["Retry-After"]) > 0
    assert one.login("alice").status_code == 200  # other employees are not affected


def test_concurrent_guesses_across_instances_get_no_more_checks_than_the_limit(
    users_file: Path, shared: Callable[..., RunningService]
) -> None:
    from tokenservice.throttle import ThrottleSettings

    from .test_throttle import SlowDirectory

    directory = SlowDirectory(users_file, delay=0.3)
    throttle = ThrottleSettings(max_failures_per_username=4)
    instances = [shared(throttle=throttle, directory=directory) for _ in range(2)]

    async def guesses() -> list[int]:
        async with httpx.AsyncClient(timeout=30.0) as client:
            answers = await asyncio.gather(
                *(
                    client.post(
                        f"{instances[n % 2].url}/api/login",
                        json={"username": "bob", "password": f"guess-{n}"},
                    )
                    for n in range(12)
                )
            )
        return [a.status_code for a in answers]

    codes = asyncio.run(guesses())
    assert directory.checks == 4  # per instance in memory, it would be 4 each: 8
    assert sorted(codes) == [401] * 4 + [429] * 8


def test_a_redis_password_is_used_and_never_shown(
    tmp_path: Path, start_service: Callable[..., RunningService], caplog: pytest.LogCaptureFixture
) -> None:
    server = RedisServer(tmp_path / "redis", password="redis-s3cret").start()
    try:
        right = start_service(redis_url=server.url, redis_password="redis-s3cret")
        assert right.token(_bearer(right.login("alice"))).status_code == 200
        wrong = start_service(redis_url=server.url, redis_password="not-the-redis-pw")
        refused = wrong.login("alice")
        assert (refused.status_code, refused.json()["error"]) == (503, "state_unavailable")
        ready = httpx.get(f"{wrong.url}/readyz").json()
        assert ready["ready"] is False
        for text in (refused.text, str(ready), caplog.text):
            assert "redis-s3cret" not in text and "not-the-redis-pw" not in text
    finally:
        server.stop()
