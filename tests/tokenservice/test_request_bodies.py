"""Request bodies are bounded: in size (413) and in the time a client may take to send them (408)."""

from __future__ import annotations

import httpx

from .conftest import RunningService
from .rawhttp import RawConnection

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
