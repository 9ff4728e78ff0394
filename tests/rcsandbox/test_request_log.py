"""The opt-in request log: one `request` event per request, never a query string."""

from __future__ import annotations

import json

import httpx
import pytest

from rcsandbox import Sandbox

from .conftest import make_config


@pytest.mark.real
def test_requests_are_logged_without_query_and_with_a_short_user_agent() -> None:
    with Sandbox(make_config(record_requests=True)) as rc, httpx.Client(base_url=rc.url) as http:
        _, token = rc.login_token("alice")
        agent = "ProxyTest/1.0 " + "x" * 100
        http.get(f"/home?resumeToken={token}&userId=u1", headers={"User-Agent": agent})
        http.post("/api/v1/login", json={"resume": token})
        http.get("/static/style.css", headers={"User-Agent": "short"})
        requests = rc.events("request")
        # The readiness probe of the start is there too; these are the three the test sent.
        mine = [e for e in requests if e["path"] in ("/home", "/api/v1/login", "/static/style.css")]
        assert [(e["method"], e["path"]) for e in mine] == [
            ("GET", "/home"),
            ("POST", "/api/v1/login"),
            ("GET", "/static/style.css"),
        ]
        assert mine[0]["user_agent"] == agent[:60] and mine[2]["user_agent"] == "short"
        assert all(e["ip"] == "127.0.0.1" for e in mine)
        assert token not in json.dumps(rc.events()) and "resumeToken" not in json.dumps(requests)


def test_the_log_is_off_by_default_and_switchable(rc: Sandbox, http: httpx.Client) -> None:
    http.get("/api/info")
    assert rc.events("request") == []
    rc.record_requests(True)
    http.get("/api/info", params={"q": "1"})
    rc.record_requests(False)
    http.get("/api/v1/settings.public")
    assert [e["path"] for e in rc.events("request")] == ["/api/info"]
