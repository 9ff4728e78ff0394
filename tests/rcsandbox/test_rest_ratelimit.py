"""The REST rate limiter on every route, per route and client IP (docs/rocketchat-contract.md#rate-limits)."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from rcsandbox import ConfigError, Sandbox, SandboxConfig
from rcsandbox.ratelimit import UNLIMITED

from .conftest import in_process, login, make_config

COUNTED = str(UNLIMITED)  # the default: counted, never refused

TOO_MANY = (
    r"Error, too many requests\. Please slow down\. You must wait (\d+) seconds before trying this "
    r"endpoint again\. \[error-too-many-requests\]"
)


def _limits(response: httpx.Response) -> tuple[str, str] | None:
    if "X-RateLimit-Limit" not in response.headers:
        return None
    return response.headers["X-RateLimit-Limit"], response.headers["X-RateLimit-Remaining"]


def test_each_route_is_counted_on_its_own_with_the_headers(rc: Sandbox, http: httpx.Client) -> None:
    alice = login(http, "alice", "alice-pw")
    rc.set_rate_limit("/api/v1/me", 2, 60.0)
    answers = [http.get("/api/v1/me", headers=alice) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert [_limits(a) for a in answers] == [("2", "1"), ("2", "0"), ("2", "0")]
    reset_ms = int(answers[-1].headers["X-RateLimit-Reset"])
    assert 0 < reset_ms - time.time() * 1000 <= 60_000
    body = answers[-1].json()
    assert body["success"] is False and 0 < int(re.fullmatch(TOO_MANY, body["error"]).group(1)) <= 60
    # Other routes have their own counts (the default: counted, never refused).
    assert _limits(http.get("/api/info")) == (COUNTED, str(UNLIMITED - 1))
    assert _limits(http.get("/api/info")) == (COUNTED, str(UNLIMITED - 2))
    assert _limits(http.get("/api/v1/settings.public")) == (COUNTED, str(UNLIMITED - 1))
    users_info = http.get("/api/v1/users.info", params={"username": "bob"}, headers=alice)
    assert _limits(users_info) == (COUNTED, str(UNLIMITED - 1))
    [event] = rc.events("rate-limited")
    assert event == {**event, "route": "/api/v1/me", "ip": "127.0.0.1"}


def test_failed_calls_and_uploads_count_too(rc: Sandbox, http: httpx.Client) -> None:
    rc.set_rate_limit("/api/v1/rooms.media", 1, 60.0)
    first = http.post("/api/v1/rooms.media/GENERAL", content=b"x")
    assert first.status_code == 401 and _limits(first) == ("1", "0")
    # Another room is the same route.
    assert http.post("/api/v1/rooms.media/OTHER", content=b"x").status_code == 429
    unauthenticated = http.get("/api/v1/me")
    assert unauthenticated.status_code == 401 and _limits(unauthenticated) == (COUNTED, str(UNLIMITED - 1))
    assert _limits(http.get("/api/v1/no.such.route")) == (COUNTED, str(UNLIMITED - 1))
    assert _limits(http.get("/sandbox/events")) is None and _limits(http.get("/home")) is None


def test_admins_bypass_the_limit(rc: Sandbox, http: httpx.Client) -> None:
    admin, alice = login(http, "admin", "admin-pw"), login(http, "alice", "alice-pw")
    rc.set_rate_limit("/api/v1/me", 1, 60.0)
    assert [http.get("/api/v1/me", headers=admin).status_code for _ in range(4)] == [200] * 4
    assert _limits(http.get("/api/v1/me", headers=admin)) is None  # not counted at all
    assert [http.get("/api/v1/me", headers=alice).status_code for _ in range(2)] == [200, 429]
    forged = {**admin, "X-Auth-Token": "not-the-token"}
    assert http.get("/api/v1/me", headers=forged).status_code == 429  # only a real admin session bypasses


def test_limit_zero_refuses_every_call_until_the_knob_changes(rc: Sandbox, http: httpx.Client) -> None:
    rc.set_rate_limit("/api/info", 0, 0.3)
    refused = http.get("/api/info")
    assert refused.status_code == 429 and _limits(refused) == ("0", "0")
    time.sleep(0.4)  # a new window opens, and is refused again
    assert http.get("/api/info").status_code == 429
    assert http.get("/api/v1/settings.public").status_code == 200
    rc.set_rate_limit("/api/info", 3, 60.0)
    assert _limits(http.get("/api/info")) == ("3", "2")


def test_the_default_counts_without_refusing_and_the_config_key_limits(
    rc: Sandbox, http: httpx.Client
) -> None:
    answers = [http.get("/api/info") for _ in range(25)]
    assert {a.status_code for a in answers} == {200}
    assert _limits(answers[-1]) == (COUNTED, str(UNLIMITED - 25))
    rc.set_setting("API_Enable_Rate_Limiter", False)
    answers = [http.get("/api/info") for _ in range(3)]
    assert [a.status_code for a in answers] == [200] * 3 and all(_limits(a) is None for a in answers)
    # Rocket.Chat's own default, from the config.
    with in_process(make_config(rest_rate_limit=10, rest_rate_window=60.0)) as (_, client):
        codes = [client.get("/api/info").status_code for _ in range(11)]
        assert codes == [200] * 10 + [429]
        assert client.get("/api/v1/settings.public").status_code == 200


def test_login_keeps_its_own_knob(rc: Sandbox, http: httpx.Client) -> None:
    rc.set_login_rate_limit(1)
    assert http.post("/api/v1/login", json={"user": "alice", "password": "x"}).status_code == 401
    assert http.post("/api/v1/login", json={"user": "alice", "password": "alice-pw"}).status_code == 429
    assert http.get("/api/info").status_code == 200


@pytest.mark.parametrize(
    ("route", "limit", "window"),
    [("/api/v1/me/extra", 1, 1.0), ("/home", 1, 1.0), ("/api/v1/me", -1, 1.0), ("/api/v1/me", 1, -1.0)],
    ids=["sub-path", "not-rest", "negative-limit", "negative-window"],
)
def test_bad_rate_limits_are_config_errors(rc: Sandbox, route: str, limit: int, window: float) -> None:
    with pytest.raises(ConfigError):
        rc.set_rate_limit(route, limit, window)


@pytest.mark.parametrize(
    "kwargs", [{"rest_rate_limit": 0}, {"rest_rate_window": -1}, {"rest_rate_limit": True}]
)
def test_bad_rest_rate_config_is_refused(kwargs: dict) -> None:
    with pytest.raises(ConfigError):
        SandboxConfig(**kwargs)
