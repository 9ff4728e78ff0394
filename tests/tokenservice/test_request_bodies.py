"""Request bodies are bounded: in size (413) and in the time a client may take to send them (408)."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from .conftest import RunningService
from .rawhttp import RawConnection

pytestmark = pytest.mark.real

CAP = 8 * 1024


def _assert_too_large(status: int, body: dict[str, str]) -> None:
    assert status == 413
    assert body["error"] == "request_too_large"
    assert body["message"].endswith(".")


def test_a_login_body_over_the_cap_is_refused(service: RunningService) -> None:
    resp = httpx.post(f"{service.url}/api/login", json={"username": "alice", "password": "x" * CAP})

    _assert_too_large(resp.status_code, resp.json())
    assert resp.headers["cache-control"] == "no-store"


def test_a_huge_content_length_is_refused_before_the_body_is_read(service: RunningService) -> None:
    with RawConnection(service.url, timeout=5.0) as conn:
        headers = {"Content-Type": "application/json", "Content-Length": str(50 * 1024 * 1024)}
        conn.send_head("POST", "/api/login", headers)
        conn.send(b'{"username": "alice", "password": "')  # and nothing more: the answer must not wait

        resp = conn.read_response()

    _assert_too_large(resp.status, resp.json())


def test_a_chunked_login_body_is_cut_at_the_cap(service: RunningService) -> None:
    with RawConnection(service.url, timeout=5.0) as conn:
        conn.send_head(
            "POST", "/api/login", {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
        )
        for _ in range(CAP // 1024 + 1):
            conn.send(b"400\r\n" + b" " * 1024 + b"\r\n")
        # No terminating chunk: the service must stop reading past the cap and answer anyway.

        resp = conn.read_response()

    _assert_too_large(resp.status, resp.json())


def test_a_body_under_the_cap_still_works(service: RunningService) -> None:
    resp = httpx.post(f"{service.url}/api/login", json={"username": "alice", "password": "alice-pw"})
    assert resp.status_code == 200


def test_a_body_dripped_slower_than_the_body_timeout_is_cut_with_408(
    start_service: Callable[..., RunningService],
) -> None:
    service = start_service(body_timeout=0.5)
    with RawConnection(service.url, timeout=5.0) as conn:
        conn.send_head("POST", "/api/login", {"Content-Type": "application/json", "Content-Length": "200"})
        started = time.monotonic()
        resp = None
        # One byte every 0.1 s: each read is quick, the whole body would take 20 s.
        while resp is None and time.monotonic() - started < 5.0:
            conn.send(b" ")
            resp = conn.read_response_within(0.1)
        elapsed = time.monotonic() - started

        assert resp is not None, "the service kept reading the dripped body"
        assert resp.status == 408
        assert resp.json()["error"] == "request_timeout"
        assert resp.headers["connection"] == "close"
        assert 0.5 <= elapsed < 2.0
        assert conn.closed_by_server(within=2.0)
