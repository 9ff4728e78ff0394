"""Security item L5 (b): the administrator's files lock the addresses, the network settings and autostart
they set (and whatever their ``locked`` list names); a user layer cannot override them, and trying to is
a warning (in the log, ``config`` and ``doctor``), never an error."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from launcher.config import format_settings, load_settings
from launcher.errors import ConfigError
from launcher.paths import Paths

RC = "https://chat.example.com"
ORG = "https://sso.example.com"
EVIL = "https://evil.example.net"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def admin_dir(tmp_path: Path) -> Path:
    write(
        tmp_path / "xdg" / "launcher.toml",
        f'autostart = true\n[rocketchat]\nurl = "{RC}"\n[organization]\nurl = "{ORG}"\nname = "Admin Corp"\n'
        '[network]\nproxy = "http://proxy.example.com:3128"\n',
    )
    return tmp_path / "xdg"


def test_user_layers_cannot_override_what_the_administrator_sets(
    profile: Paths, tmp_path: Path, admin_dir, caplog
):
    write(
        profile.user_config_file,
        f'autostart = false\n[rocketchat]\nurl = "{EVIL}"\n[organization]\nname = "User Corp"\n'
        '[network]\nproxy = ""\n',
    )
    env_file = write(tmp_path / "env.toml", f'[organization]\nurl = "{EVIL}"\n')
    flag_file = write(tmp_path / "flag.toml", f'[organization]\nlogin = {{ url = "{EVIL}/login" }}\n')

    with caplog.at_level(logging.WARNING, logger="launcher.config"):
        settings = load_settings(
            env={"ROCKETCHAT_LAUNCHER_CONFIG": str(env_file)},
            paths=profile,
            site_config_dirs=[admin_dir],
            config_file=flag_file,
            cli={"rocketchat.url": EVIL},
        )

    admin_file = str(admin_dir / "launcher.toml")
    assert settings.rocketchat_url == RC and settings.sources["rocketchat.url"] == admin_file
    assert settings.organization.base_url == ORG
    assert settings.autostart is True
    assert settings.proxy == "http://proxy.example.com:3128"
    # Not locked: organization.name follows the layer order (the administrator's file comes later and
    # wins), and a key no administrator sets stays the user's, even a sign-in path.
    assert settings.organization_name == "Admin Corp"
    assert settings.organization.login_url == f"{EVIL}/login"
    assert settings.locks["rocketchat.url"] == admin_file
    assert settings.locks["network.proxy"] == admin_file
    assert "network.read_timeout" not in settings.locks  # the administrator did not set it
    assert "organization.name" not in settings.locks
    assert settings.warnings == (
        f"Ignored autostart = false from {profile.user_config_file}: your administrator locked this setting in "
        f"{admin_file}.",
        f'Ignored rocketchat.url = "{EVIL}" from {profile.user_config_file}: your administrator locked this '
        f"setting in {admin_file}.",
        f'Ignored network.proxy = "" from {profile.user_config_file}: your administrator locked this setting in '
        f"{admin_file}.",
        f'Ignored organization.url = "{EVIL}" from {env_file}: your administrator locked this setting in '
        f"{admin_file}.",
        f'Ignored rocketchat.url = "{EVIL}" from the command line (--rocketchat-url): your administrator '
        f"locked this setting in {admin_file}.",
    )
    assert [r.getMessage() for r in caplog.records if r.getMessage().startswith("Ignored")] == list(
        settings.warnings
    )


def test_same_value_in_a_user_layer_is_not_a_warning(profile: Paths, admin_dir):
    write(profile.user_config_file, f'[rocketchat]\nurl = "{RC}/"\n')
    settings = load_settings(env={}, paths=profile, site_config_dirs=[admin_dir])
    assert settings.warnings == ()
    assert settings.sources["rocketchat.url"] == str(admin_dir / "launcher.toml")


def test_locked_list_locks_keys_and_tables_even_when_unset(profile: Paths, tmp_path: Path):
    admin = write(
        tmp_path / "xdg" / "launcher.toml",
        f'locked = ["organization.login", "desktop.tray", "network"]\n[rocketchat]\nurl = "{RC}"\n'
        f'[organization]\nurl = "{ORG}"\n',
    )
    write(
        profile.user_config_file,
        '[organization.login]\nurl = "https://evil.example.net/login"\n[desktop]\ntray = false\n'
        "[network]\nread_timeout = 30\n",
    )
    settings = load_settings(env={}, paths=profile, site_config_dirs=[admin.parent])

    assert settings.organization.login_url == f"{ORG}/api/login"
    assert settings.desktop_tray is True and settings.sources["desktop.tray"] == "built-in default"
    assert settings.read_timeout == 15.0
    assert settings.locks["organization.login.body"] == str(admin)
    assert len(settings.warnings) == 3
    listing = format_settings(settings)
    assert "desktop.tray" in listing
    tray_line = next(line for line in listing.splitlines() if line.startswith("desktop.tray "))
    assert tray_line.endswith(f"# built-in default (locked by {admin})")
    url_line = next(line for line in listing.splitlines() if line.startswith("rocketchat.url "))
    assert url_line.endswith(f"# {admin} (locked)")


def test_a_lower_administrator_file_is_still_overridden_by_a_higher_one(profile: Paths, tmp_path: Path):
    low = write(tmp_path / "low" / "launcher.toml", f'[rocketchat]\nurl = "{EVIL}"\n')
    high = write(tmp_path / "high" / "launcher.toml", f'[rocketchat]\nurl = "{RC}"\n')
    settings = load_settings(
        env={}, paths=profile, site_config_dirs=[high.parent, low.parent], cli={"mode": "rocketchat"}
    )
    assert settings.rocketchat_url == RC
    assert settings.locks["rocketchat.url"] == str(high)
    assert settings.warnings == ()


def test_locked_in_a_user_file_is_ignored_with_a_warning(profile: Paths):
    write(profile.user_config_file, f'locked = ["rocketchat.url"]\n[rocketchat]\nurl = "{RC}"\n')
    settings = load_settings(env={}, paths=profile, site_config_dirs=[], cli={"mode": "rocketchat"})
    assert settings.locks == {}
    assert settings.warnings == (
        f'Ignored locked = ["rocketchat.url"] in {profile.user_config_file}: only the administrator\'s '
        "configuration files can lock settings.",
    )


def test_a_misspelt_lock_is_an_error_in_the_administrators_file(profile: Paths, tmp_path: Path):
    admin = write(tmp_path / "xdg" / "launcher.toml", 'locked = ["rocketchat.ulr"]\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(env={}, paths=profile, site_config_dirs=[admin.parent])
    assert (
        str(caught.value)
        == f'Unknown key "rocketchat.ulr" in the locked list of {admin}; did you mean "rocketchat.url"?'
    )

    write(admin, 'locked = "network"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(env={}, paths=profile, site_config_dirs=[admin.parent])
    assert str(caught.value).startswith(f'Invalid setting locked = "network" in {admin}: expected a list')


def admin_env(tmp_path: Path, rc_url: str) -> dict[str, str]:
    admin = tmp_path / "xdg" / "rocketchat-launcher" / "launcher.toml"  # $XDG_CONFIG_DIRS/<app>/launcher.toml
    write(admin, f'mode = "rocketchat"\n[rocketchat]\nurl = "{rc_url}"\n')
    return {"XDG_CONFIG_DIRS": str(tmp_path / "xdg")}


def test_config_command_shows_the_lock_and_what_was_ignored(run_cli, profile: Paths, tmp_path: Path):
    import os

    env = {**os.environ, **admin_env(tmp_path, RC)}
    env.pop("ROCKETCHAT_LAUNCHER_CONFIG", None)
    write(profile.user_config_file, f'[rocketchat]\nurl = "{EVIL}"\n')

    result = run_cli("config", env=env)

    assert result.returncode == 0, result.stderr
    admin = tmp_path / "xdg" / "rocketchat-launcher" / "launcher.toml"
    url_line = next(line for line in result.stdout.splitlines() if line.startswith("rocketchat.url "))
    assert url_line.endswith(f'= "{RC}"    # {admin} (locked)')
    assert (
        "Ignored settings:\n"
        f'  Ignored rocketchat.url = "{EVIL}" from {profile.user_config_file}: your administrator locked this '
        f"setting in {admin}.\n"
    ) in result.stdout


def test_doctor_warns_about_ignored_settings(rc, store, profile: Paths, tmp_path: Path, monkeypatch):
    from launcher.doctor import run_checks

    for name, value in admin_env(tmp_path, rc.url).items():
        monkeypatch.setenv(name, value)
    write(profile.user_config_file, f'[rocketchat]\nurl = "{EVIL}"\n')

    checks = run_checks(paths=profile, env={}, store=store)

    assert checks[0].name == "Configuration" and checks[0].status == "warn"
    assert f'Ignored rocketchat.url = "{EVIL}"' in checks[0].detail
    assert checks[0].fix.startswith("remove those settings from your own configuration files")
