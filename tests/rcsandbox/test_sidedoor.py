"""The test-only side door under /sandbox/... (architecture.md)."""

from __future__ import annotations

import httpx
import pytest

from rcsandbox import ConfigError, Sandbox

from .conftest import login


def test_events_endpoint_lists_and_filters(rc: Sandbox, http: httpx.Client) -> None:
    login(http, "alice", "alice-pw")
    http.post("/api/v1/login", json={"user": "alice", "password": "wrong"})
    everything = http.get("/sandbox/events").json()["events"]
    assert [e["kind"] for e in everything] == ["login", "login-failed"]
    only = http.get("/sandbox/events", params={"kind": "login-failed"}).json()["events"]
    assert len(only) == 1 and only[0]["username"] == "alice" and isinstance(only[0]["time"], float)


def test_posted_messages_drive_unread_and_notifications(rc: Sandbox, http: httpx.Client) -> None:
    headers = login(http, "alice", "alice-pw")
    assert http.get("/sandbox/client/updates", headers=headers).json()["unread"] == 0
    posted = http.post(
        "/sandbox/messages", json={"username": "alice", "text": "hi", "sender": "bob", "room": "dev"}
    )
    assert posted.status_code == 200 and posted.json()["ok"] is True
    rc.post_message("alice", "second")
    updates = http.get("/sandbox/client/updates", headers=headers).json()
    assert updates["unread"] == 2
    first = updates["notifications"][0]
    assert first["payload"]["rid"] and first["payload"]["sender"]["username"] == "bob"
    assert first["payload"]["name"] == "dev" and first["text"] == "hi" and first["title"] == "bob"
    again = http.get("/sandbox/client/updates", params={"since": updates["cursor"]}, headers=headers).json()
    assert again["notifications"] == [] and again["unread"] == 2
    assert http.post("/sandbox/client/read", headers=headers).status_code == 200
    assert http.get("/sandbox/client/updates", headers=headers).json()["unread"] == 0


def test_client_updates_need_auth(http: httpx.Client) -> None:
    assert http.get("/sandbox/client/updates").status_code == 401


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{oops", 400),
        (b'{"username": "alice"}', 400),
        (b'{"username": "zed", "text": "x"}', 404),
        (b'{"username": "alice", "text": "x", "room": 3}', 400),
    ],
    ids=["malformed", "no-text", "unknown-user", "bad-room"],
)
def test_bad_message_posts_get_a_clear_error(http: httpx.Client, body: bytes, status: int) -> None:
    response = http.post("/sandbox/messages", content=body)
    assert response.status_code == status
    assert response.json()["ok"] is False and response.json()["error"].endswith(".")


def test_settings_side_door_changes_and_validates(rc: Sandbox, http: httpx.Client) -> None:
    ok = http.post("/sandbox/settings", json={"Iframe_Integration_receive_enable": True})
    assert ok.status_code == 200 and rc.setting("Iframe_Integration_receive_enable") is True
    for body in ({"No_Such_Setting": 1}, {"Iframe_Integration_receive_enable": "yes"}, [1]):
        response = http.post("/sandbox/settings", json=body)
        assert response.status_code == 400 and response.json()["ok"] is False


def test_client_log_accepts_known_kinds_only(rc: Sandbox, http: httpx.Client) -> None:
    # sendBeacon posts text/plain; the body is still JSON.
    body = b'{"kind": "origin-rejected", "origin": "https://evil.example", "nested": {"x": 1}}'
    assert (
        http.post("/sandbox/client-log", content=body, headers={"Content-Type": "text/plain"}).status_code
        == 200
    )
    event = rc.events("origin-rejected")[-1]
    assert (
        event["origin"] == "https://evil.example"
        and event["source"] == "web-client"
        and "nested" not in event
    )
    assert http.post("/sandbox/client-log", json={"kind": "login"}).status_code == 400
    assert http.post("/sandbox/client-log", content=b"nope").status_code == 400


def test_unknown_side_door_route_is_json_404(http: httpx.Client) -> None:
    for response in (http.get("/sandbox/nope"), http.get("/sandbox/messages")):
        assert response.status_code == 404 and response.json()["ok"] is False


def test_revoking_sessions_ends_every_token_of_that_user_only(rc: Sandbox, http: httpx.Client) -> None:
    first, second = login(http, "alice", "alice-pw"), login(http, "alice", "alice-pw")
    bob = login(http, "bob", "bob-pw")
    answer = http.post("/sandbox/users/alice/logout")
    assert answer.status_code == 200 and answer.json() == {"ok": True, "revoked": 2}
    assert [http.get("/api/v1/me", headers=h).status_code for h in (first, second, bob)] == [401, 401, 200]
    resume = http.post("/api/v1/login", json={"resume": first["X-Auth-Token"]})
    assert resume.status_code == 401 and resume.json()["error"] == 403
    [event] = rc.events("sessions-revoked")
    assert event["username"] == "alice" and event["tokens"] == 2
    assert first["X-Auth-Token"] not in str(rc.events())
    login(http, "alice", "alice-pw")  # the password still works: only sessions ended
    assert rc.revoke_sessions("alice") == 1
    assert http.post("/sandbox/users/zed/logout").status_code == 404


def test_password_change_ends_sessions_and_swaps_the_password(rc: Sandbox, http: httpx.Client) -> None:
    old = login(http, "alice", "alice-pw")
    rc.change_password("alice", "new-pw")
    assert http.get("/api/v1/me", headers=old).status_code == 401
    assert http.post("/api/v1/login", json={"user": "alice", "password": "alice-pw"}).status_code == 401
    fresh = login(http, "alice", "new-pw")
    answer = http.post("/sandbox/users/alice/password", json={"password": "third-pw"})
    assert answer.status_code == 200 and answer.json()["revoked"] == 1
    assert http.get("/api/v1/me", headers=fresh).status_code == 401
    login(http, "alice", "third-pw")
    assert [e["reason"] for e in rc.events("sessions-revoked")] == ["password-changed"] * 2
    assert [e["username"] for e in rc.events("password-changed")] == ["alice", "alice"]
    assert http.post("/sandbox/users/alice/password", json={"password": ""}).status_code == 400
    assert http.post("/sandbox/users/zed/password", json={"password": "x"}).status_code == 404
    with pytest.raises(ConfigError):
        rc.change_password("alice", "")
