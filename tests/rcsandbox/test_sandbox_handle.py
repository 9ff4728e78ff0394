"""The Python handle: lifecycle, knobs, config validation and TOML loading (architecture.md)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from rcsandbox import ConfigError, Sandbox, SandboxConfig, SandboxUser, load_config

from .conftest import auth_headers, make_config


@pytest.mark.real
def test_stop_and_start_keep_port_and_data() -> None:
    with Sandbox(make_config()) as rc:
        user_id, token = rc.login_token("alice")
        port = rc.port
        assert rc.url == rc.origin == f"http://127.0.0.1:{port}"
        rc.stop()
        with pytest.raises(httpx.TransportError):
            httpx.get(rc.url + "/api/info", timeout=2)
        rc.start()
        assert rc.port == port
        me = httpx.get(rc.url + "/api/v1/me", headers=auth_headers(user_id, token), timeout=5)
        assert me.status_code == 200 and me.json()["username"] == "alice"


def test_default_admin_is_seeded_unless_named() -> None:
    assert [u.username for u in SandboxConfig().users] == ["admin"]
    custom = SandboxConfig(
        users=[SandboxUser("admin", "other-pw", roles=["admin"]), SandboxUser("x", "x-pw")]
    )
    assert [u.username for u in custom.users] == ["admin", "x"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"settings": {"Nope": 1}},
        {"settings": {"Iframe_Integration_receive_enable": "true"}},
        {"settings": {"Accounts_LoginExpiration": True}},
        {"client_start_delay": -1},
        {"resume_delay": -0.5},
        {"resume_delay": "1"},
        {"record_requests": "yes"},
        {"login_rate_limit": 0},
        {"users": [SandboxUser("a", "a-pw"), SandboxUser("a", "b-pw")]},
    ],
    ids=[
        "unknown-setting",
        "bool-as-string",
        "int-as-bool",
        "negative-delay",
        "negative-resume-delay",
        "resume-delay-as-text",
        "record-requests-as-text",
        "zero-limit",
        "duplicate-user",
    ],
)
def test_bad_config_raises_config_error(kwargs: dict) -> None:
    with pytest.raises(ConfigError):
        SandboxConfig(**kwargs)


def test_user_needs_username_and_password() -> None:
    with pytest.raises(ConfigError, match="password"):
        SandboxUser("a", "")


def test_unknown_user_in_handle_calls_is_config_error(rc: Sandbox) -> None:
    assert rc.user_id("zed") is None
    with pytest.raises(ConfigError):
        rc.login_token("zed")
    with pytest.raises(ConfigError):
        rc.set_setting("Nope", 1)


def test_add_user_then_log_in(rc: Sandbox, http: httpx.Client) -> None:
    rc.add_user(SandboxUser("dora", "dora-pw", name="Dora"))
    response = http.post("/api/v1/login", json={"user": "dora", "password": "dora-pw"})
    assert response.status_code == 200 and response.json()["data"]["me"]["name"] == "Dora"
    with pytest.raises(ConfigError):
        rc.add_user(SandboxUser("dora", "x-pw"))


def test_load_config_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.toml"
    path.write_text(
        'create_tokens_secret = "s3"\nclient_start_delay = 0.25\nlogin_rate_limit = 4\n'
        "resume_delay = 1.5\nrecord_requests = true\n"
        "[settings]\nIframe_Integration_receive_enable = true\nAccounts_LoginExpiration = 7\n"
        '[[users]]\nusername = "alice"\npassword = "alice-pw"\nname = "Alice"\nroles = ["user"]\n',
        encoding="utf-8",
    )
    cfg = load_config(path)
    assert cfg.create_tokens_secret == "s3" and cfg.client_start_delay == 0.25 and cfg.login_rate_limit == 4
    assert cfg.resume_delay == 1.5 and cfg.record_requests is True
    assert cfg.initial_settings()["Iframe_Integration_receive_enable"] is True
    assert [u.username for u in cfg.users] == ["admin", "alice"]


@pytest.mark.parametrize(
    "text",
    [
        "not = [toml",
        "colour = 1\n",
        '[[users]]\nusername = "a"\n',
        '[[users]]\nusername = "a"\npassword = "p"\nage = 3\n',
    ],
    ids=["syntax", "unknown-key", "no-password", "unknown-user-key"],
)
def test_bad_toml_is_config_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError):
        load_config(path)


def test_missing_file_is_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Cannot read"):
        load_config(tmp_path / "missing.toml")
