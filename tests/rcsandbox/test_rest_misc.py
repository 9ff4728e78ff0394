"""GET /api/info, GET /api/v1/settings.public, and the latency knob."""

from __future__ import annotations

import time

import httpx
import pytest

from rcsandbox import Sandbox

RC_DEFAULTS = {
    "Iframe_Integration_send_enable": False,
    "Iframe_Integration_send_target_origin": "*",
    "Iframe_Integration_receive_enable": False,
    "Iframe_Integration_receive_origin": "*",
    "Accounts_iframe_enabled": False,
    "Accounts_iframe_url": "",
    "Accounts_Iframe_api_url": "",
    "Accounts_Iframe_api_method": "POST",
    "Accounts_LoginExpiration": 90,
}


def test_info_reports_major_minor_without_auth(http: httpx.Client) -> None:
    response = http.get("/api/info")
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["version"] == "8.0"


def test_settings_public_serves_rocket_chat_defaults(http: httpx.Client) -> None:
    body = http.get("/api/v1/settings.public").json()
    assert body["success"] is True and body["offset"] == 0
    assert body["count"] == body["total"] == len(RC_DEFAULTS)
    assert {s["_id"]: s["value"] for s in body["settings"]} == RC_DEFAULTS


def test_settings_public_id_filter_is_trimmed_and_reflects_changes(rc: Sandbox, http: httpx.Client) -> None:
    rc.set_setting("Iframe_Integration_receive_enable", True)
    rc.set_setting("Iframe_Integration_receive_origin", "https://a.example.com, https://b.example.com")
    ids = "Iframe_Integration_receive_enable, Iframe_Integration_receive_origin,API_Enable_Rate_Limiter"
    body = http.get("/api/v1/settings.public", params={"_id": ids}).json()
    assert body["settings"] == [
        {"_id": "Iframe_Integration_receive_enable", "value": True},
        {"_id": "Iframe_Integration_receive_origin", "value": "https://a.example.com, https://b.example.com"},
    ]
    assert body["count"] == body["total"] == 2  # private settings are never served


def test_settings_public_paging_and_bad_paging(http: httpx.Client) -> None:
    body = http.get("/api/v1/settings.public", params={"offset": 2, "count": 3}).json()
    assert body["count"] == 3 and body["offset"] == 2 and body["total"] == len(RC_DEFAULTS)
    assert [s["_id"] for s in body["settings"]] == list(RC_DEFAULTS)[2:5]
    bad = http.get("/api/v1/settings.public", params={"count": "many"})
    assert bad.status_code == 400 and bad.json()["errorType"] == "error-invalid-params"


def test_latency_knob_delays_rest_answers(rc: Sandbox, http: httpx.Client) -> None:
    rc.set_latency(0.3)
    started = time.monotonic()
    assert http.get("/api/info").status_code == 200
    assert time.monotonic() - started >= 0.3


@pytest.mark.real  # a half-sent request on a real socket
def test_a_caller_that_goes_away_mid_request_is_no_route_failure(rc, caplog) -> None:
    """A page reloaded while its login was on the wire: before, every such request logged a traceback as
    "sandbox route /api/v1/login failed" (seen in every benchmark run)."""
    import socket

    host, port = rc.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(
            b"POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 100\r\n\r\n{"user": '
        )
    with httpx.Client(base_url=rc.url, timeout=10) as http:  # the server still answers the next caller
        assert http.get("/api/info").status_code == 200
    time.sleep(0.3)
    assert not [r for r in caplog.records if "failed" in r.getMessage()], caplog.text
