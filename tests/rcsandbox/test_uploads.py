"""POST /api/v1/rooms.media/<rid> and rooms.mediaConfirm: the stand-in's upload route, over real HTTP."""

from __future__ import annotations

import hashlib

import httpx

from rcsandbox import Sandbox

from .conftest import login


def _upload(http: httpx.Client, headers: dict[str, str], name: str, data: bytes) -> httpx.Response:
    return http.post(
        "/api/v1/rooms.media/GENERAL", headers=headers, files={"file": (name, data, "text/plain")}
    )


def test_an_uploaded_and_confirmed_file_is_recorded_whole_without_its_content(
    rc: Sandbox, http: httpx.Client
) -> None:
    headers = login(http, "alice", "alice-pw")
    data = "Grüße\n".encode() * 1000

    stored = _upload(http, headers, "notes é.txt", data)
    assert stored.status_code == 200, stored.text
    file_id = stored.json()["file"]["_id"]
    assert rc.events(kind="upload") == []  # not a message until confirmed

    confirmed = http.post(f"/api/v1/rooms.mediaConfirm/GENERAL/{file_id}", headers=headers, json={"msg": ""})
    assert confirmed.status_code == 200 and confirmed.json()["message"]["file"]["name"] == "notes é.txt"
    (event,) = rc.events(kind="upload")
    assert (event["name"], event["size"], event["user"]) == ("notes é.txt", len(data), "alice")
    assert event["sha256"] == hashlib.sha256(data).hexdigest() and "content" not in event


def test_uploads_need_the_session_a_file_field_and_the_uploaders_own_confirmation(http: httpx.Client) -> None:
    assert _upload(http, {}, "a.txt", b"a").status_code == 401
    alice = login(http, "alice", "alice-pw")
    bob = login(http, "bob", "bob-pw")
    not_multipart = http.post("/api/v1/rooms.media/GENERAL", headers=alice, json={"file": "a"})
    assert not_multipart.status_code == 400
    wrong_field = http.post("/api/v1/rooms.media/GENERAL", headers=alice, files={"other": ("a.txt", b"a")})
    assert wrong_field.status_code == 400 and wrong_field.json()["error"] == "[No file uploaded]"

    file_id = _upload(http, alice, "a.txt", b"a").json()["file"]["_id"]
    assert http.post(f"/api/v1/rooms.mediaConfirm/GENERAL/{file_id}", headers=bob).status_code == 400
    assert http.post(f"/api/v1/rooms.mediaConfirm/OTHER/{file_id}", headers=alice).status_code == 400
