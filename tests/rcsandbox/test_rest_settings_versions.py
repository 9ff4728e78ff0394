"""settings.public as 6.x and as 7.0+ servers answer it (docs/rocketchat-contract.md#public-settings)."""

from __future__ import annotations

import json

import httpx
import pytest

from rcsandbox import ConfigError, Sandbox, SandboxConfig

from .conftest import in_process, make_config

WANTED = "Iframe_Integration_receive_enable"


def _public(http: httpx.Client, **params: object) -> httpx.Response:
    return http.get("/api/v1/settings.public", params=params)


def test_old_servers_ignore_the_id_filter_and_page_through_hundreds() -> None:
    with in_process(make_config(version="6.13.0")) as (_, http):
        assert http.get("/api/info").json()["version"] == "6.13"
        first = _public(http, _id=WANTED).json()
        assert first["count"] == 50 and first["offset"] == 0 and first["total"] >= 300
        assert WANTED not in {s["_id"] for s in first["settings"]}
        # The wanted setting is there, on a later page.
        found, offset = {}, 0
        while offset < first["total"]:
            page = _public(http, offset=offset, count=100).json()
            assert page["count"] <= 100
            found.update({s["_id"]: s["value"] for s in page["settings"]})
            offset += 100
        assert len(found) == first["total"] and found[WANTED] is False
        assert found["Accounts_LoginExpiration"] == 90


def test_count_is_capped_at_100(rc: Sandbox, http: httpx.Client) -> None:
    rc.set_version("6.0.0")
    answer = _public(http, count=500).json()
    assert answer["count"] == 100 and len(answer["settings"]) == 100 and answer["total"] > 100


def test_old_query_parameter_selects_by_id() -> None:
    with in_process(make_config(version="6.5.1")) as (rc, http):
        rc.set_setting(WANTED, True)
        query = json.dumps({"_id": {"$in": [WANTED, "Accounts_LoginExpiration", "No_Such"]}})
        answer = _public(http, query=query).json()
        assert answer["settings"] == [
            {"_id": WANTED, "value": True},
            {"_id": "Accounts_LoginExpiration", "value": 90},
        ]
        assert answer["total"] == 2
        single = _public(http, query=json.dumps({"_id": WANTED})).json()
        assert single["settings"] == [{"_id": WANTED, "value": True}]
        for bad in ("{oops", json.dumps({"value": True}), json.dumps({"_id": {"$regex": "Iframe"}})):
            refused = _public(http, query=bad)
            assert refused.status_code == 400 and refused.json()["errorType"] == "error-invalid-query"


def test_current_servers_filter_by_id_and_ignore_query(rc: Sandbox, http: httpx.Client) -> None:
    answer = _public(http, _id=f"{WANTED}, Accounts_LoginExpiration").json()
    assert [s["_id"] for s in answer["settings"]] == [WANTED, "Accounts_LoginExpiration"]
    everything = _public(http, query=json.dumps({"_id": WANTED})).json()
    assert everything["total"] == everything["count"] < 50  # only the real public settings, no filler
    rc.set_version("6.13.0")
    assert _public(http, _id=WANTED).json()["count"] == 50
    rc.set_version("7.0.0")
    assert _public(http, _id=WANTED).json()["count"] == 1
    assert http.get("/api/info").json()["version"] == "7.0"


def test_the_page_gets_its_settings_in_every_mode(rc: Sandbox, http: httpx.Client) -> None:
    rc.set_version("6.13.0")
    rc.set_setting(WANTED, True)
    settings = http.get("/sandbox/client/settings").json()["settings"]
    assert settings[WANTED] is True and settings["Accounts_LoginExpiration"] == 90


@pytest.mark.parametrize("version", ["8", "eight", "8.0.0-rc1", ""])
def test_bad_versions_are_config_errors(rc: Sandbox, version: str) -> None:
    with pytest.raises(ConfigError):
        rc.set_version(version)
    with pytest.raises(ConfigError):
        SandboxConfig(version=version)
