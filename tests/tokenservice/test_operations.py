"""Liveness, readiness (with its cached Rocket.Chat check), Prometheus metrics and JSON log lines."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable

import httpx
import pytest

from rcsandbox import Sandbox
from tokenservice.jsonlog import JsonFormatter
from tokenservice.throttle import ThrottleSettings

from .conftest import EMPLOYEES, RunningService

pytestmark = pytest.mark.real


def _metric(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    assert match, f"{name} not in /metrics"
    return float(match.group(1))


def test_readyz_checks_rocketchat_but_caches_the_answer(
    rc: Sandbox, service: RunningService, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="tokenservice.readiness")
    ready = httpx.get(f"{service.url}/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"ready": True, "checks": {"directory": "ok", "rocketchat": "ok"}}
    rc.stop()
    # Rocket.Chat allows about 10 REST calls a minute per address: its check is reused for 15 seconds,
    # while the directory's is made again after 5.
    service.clock.advance(5)
    assert httpx.get(f"{service.url}/readyz").status_code == 200
    service.clock.advance(10)
    down = httpx.get(f"{service.url}/readyz")
    assert down.status_code == 503
    assert down.json()["checks"] == {"directory": "ok", "rocketchat": "fail"}
    assert "the rocketchat check failed: rocketchat_unreachable" in caplog.text
    assert httpx.get(f"{service.url}/healthz").status_code == 200


def test_metrics_count_outcomes_tokens_users_and_latency(
    start_service: Callable[..., RunningService],
) -> None:
    service = start_service(throttle=ThrottleSettings(max_failures_per_username=1))
    bearer = service.bearer("alice")
    assert service.token(bearer).status_code == 200  # creates the Rocket.Chat user
    assert service.token(bearer).status_code == 200  # reuses the token
    assert service.login("bob", "wrong").status_code == 401
    assert service.login("bob", "wrong again").status_code == 429

    text = httpx.get(f"{service.url}/metrics").text
    assert _metric(text, 'tokenservice_logins_total{outcome="ok"}') == 1
    assert _metric(text, 'tokenservice_logins_total{outcome="invalid_credentials"}') == 1
    assert _metric(text, 'tokenservice_logins_total{outcome="throttled"}') == 1
    assert _metric(text, "tokenservice_throttled_requests_total") == 1
    assert _metric(text, 'tokenservice_rocketchat_tokens_total{source="created-user"}') == 1
    assert _metric(text, 'tokenservice_rocketchat_tokens_total{source="reused"}') == 1
    assert _metric(text, "tokenservice_rocketchat_users_created_total") == 1
    assert _metric(text, 'tokenservice_rocketchat_request_seconds_count{path="/api/v1/users.create"}') == 1
    assert (
        _metric(text, 'tokenservice_directory_seconds_count{operation="authenticate"}') == 2
    )  # not the throttled one
    assert _metric(text, 'tokenservice_directory_seconds_count{operation="lookup"}') == 2
    for secret in (EMPLOYEES["alice"][0], bearer["Authorization"].split()[1], "admin-pw", "alice"):
        assert secret not in text


def test_metrics_can_move_to_their_own_port(start_service: Callable[..., RunningService]) -> None:
    service = start_service(metrics_port=9)  # the separate server itself is started by __main__
    assert httpx.get(f"{service.url}/metrics").status_code == 404


def test_json_log_lines() -> None:
    record = logging.LogRecord(
        "tokenservice", logging.INFO, __file__, 1, "login ok user=%s", ("alice",), None
    )
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "login ok user=alice"
    assert (entry["level"], entry["logger"]) == ("INFO", "tokenservice")
