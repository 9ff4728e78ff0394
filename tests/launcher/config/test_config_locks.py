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
    # wins). The login address is locked with organization.url (issue 31, L3): before, it stayed the user's.
    assert settings.organization_name == "Admin Corp"
    assert settings.organization.login_url == f"{ORG}/api/login"
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
        f'Ignored organization.login.url = "{EVIL}/login" from {flag_file}: your administrator locked this '
        f"setting in {admin_file}.",
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


@pytest.mark.real
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


@pytest.mark.real
def test_doctor_warns_about_ignored_settings(rc, store, profile: Paths, tmp_path: Path, monkeypatch):
    from launcher.doctor.checks import run_checks

    for name, value in admin_env(tmp_path, rc.url).items():
        monkeypatch.setenv(name, value)
    write(profile.user_config_file, f'[rocketchat]\nurl = "{EVIL}"\n')

    checks = run_checks(paths=profile, env={}, store=store)

    assert checks[0].name == "Configuration" and checks[0].status == "warn"
    assert f'Ignored rocketchat.url = "{EVIL}"' in checks[0].detail
    assert checks[0].fix.startswith("remove those settings from your own configuration files")


# --- issue 31, L3: every address derived from a locked base, the system folder, invalid user values ------


def test_locking_organization_url_locks_every_address_derived_from_it_and_the_mode(
    profile: Paths, tmp_path: Path, admin_dir, caplog
):
    # The reported case: IT sets organization.url; a user file points the login (where the password goes),
    # the token, the health check and the logout elsewhere, or switches to Rocket.Chat's own login.
    write(
        profile.user_config_file,
        'mode = "rocketchat"\n'
        f'[organization]\nhealth_url = "{EVIL}/health"\n'
        f'login = {{ url = "{EVIL}/login" }}\ntoken = {{ url = "/elsewhere/token" }}\n'
        f'logout = {{ url = "{EVIL}/logout" }}\n',
    )
    with caplog.at_level(logging.WARNING, logger="launcher.config"):
        settings = load_settings(env={}, paths=profile, site_config_dirs=[admin_dir])

    admin_file = str(admin_dir / "launcher.toml")
    api = settings.organization
    assert settings.mode == "organization"
    assert (api.login_url, api.token_url, api.health_url, api.logout_url) == (
        f"{ORG}/api/login",
        f"{ORG}/api/rocketchat/token",
        f"{ORG}/healthz",
        f"{ORG}/api/logout",
    )
    for key in (
        "mode",
        "organization.health_url",
        "organization.login.url",
        "organization.token.url",
        "organization.logout.url",
    ):
        assert settings.locks[key] == admin_file, key
    assert "organization.login.username_field" not in settings.locks  # not an address
    assert len(settings.warnings) == 5
    assert all(
        w.endswith(f"your administrator locked this setting in {admin_file}.") for w in settings.warnings
    )
    assert settings.warnings[1] == (
        f'Ignored organization.health_url = "{EVIL}/health" from {profile.user_config_file}: your '
        f"administrator locked this setting in {admin_file}."
    )


def test_an_administrator_file_that_sets_an_address_locks_it(profile: Paths, tmp_path: Path):
    admin = write(
        tmp_path / "xdg" / "launcher.toml",
        f'[rocketchat]\nurl = "{RC}"\n[organization.login]\nurl = "{ORG}/login"\n',
    )
    write(profile.user_config_file, f'[organization]\nurl = "{EVIL}"\n[organization.login]\nurl = "{EVIL}"\n')
    settings = load_settings(env={}, paths=profile, site_config_dirs=[admin.parent])
    assert settings.organization.login_url == f"{ORG}/login"
    assert settings.locks["organization.login.url"] == str(admin)
    # organization.url itself stays the user's (IT did not set it); only what IT set is locked.
    assert settings.organization.base_url == EVIL


def test_an_invalid_user_value_for_a_locked_key_is_a_warning_not_a_stop(profile: Paths, admin_dir, tmp_path):
    write(
        profile.user_config_file,
        '[rocketchat]\nurl = "ftp://chat.example.com"\n[organization]\nlogin = { url = "not an address" }\n'
        "[network]\nproxy = 3128\n",
    )
    flag_file = write(tmp_path / "flag.toml", 'autostart = "sometimes"\n')

    settings = load_settings(
        env={},
        paths=profile,
        site_config_dirs=[admin_dir],
        config_file=flag_file,
        cli={"rocketchat.url": "x"},
    )

    assert settings.rocketchat_url == RC and settings.organization.login_url == f"{ORG}/api/login"
    assert settings.proxy == "http://proxy.example.com:3128" and settings.autostart is True
    admin_file = admin_dir / "launcher.toml"
    assert settings.warnings == (
        f'Ignored rocketchat.url = "ftp://chat.example.com" from {profile.user_config_file}: your '
        f"administrator locked this setting in {admin_file}.",
        f'Ignored organization.login.url = "not an address" from {profile.user_config_file}: your '
        f"administrator locked this setting in {admin_file}.",
        f"Ignored network.proxy = 3128 from {profile.user_config_file}: your administrator locked this "
        f"setting in {admin_file}.",
        f'Ignored autostart = "sometimes" from {flag_file}: your administrator locked this setting in '
        f"{admin_file}.",
        'Ignored rocketchat.url = "x" from the command line (--rocketchat-url): your administrator locked '
        f"this setting in {admin_file}.",
    )


def test_an_invalid_user_value_for_an_unlocked_key_is_still_an_error(profile: Paths, admin_dir):
    write(profile.user_config_file, "[network]\nread_timeout = -1\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(env={}, paths=profile, site_config_dirs=[admin_dir])
    assert str(caught.value).startswith(
        f"Invalid setting network.read_timeout = -1 in {profile.user_config_file}: expected a number"
    )


@pytest.fixture
def system_folder(tmp_path: Path, monkeypatch) -> Path:
    """The system folder (/etc/xdg/rocketchat-launcher on Linux) pointed at this test's own folder."""
    from launcher.config import layers

    folder = tmp_path / "etc-xdg" / "rocketchat-launcher"
    monkeypatch.setattr(layers, "SYSTEM_CONFIG_DIR", folder)
    return folder


def test_the_system_folder_is_read_whatever_xdg_config_dirs_says(
    profile: Paths, tmp_path: Path, system_folder: Path, monkeypatch
):
    it_file = write(
        system_folder / "launcher.toml", f'[rocketchat]\nurl = "{RC}"\n[organization]\nurl = "{ORG}"\n'
    )
    # A folder the user chose: before, it replaced the system folder, so nothing was locked.
    chosen = write(
        tmp_path / "mine" / "rocketchat-launcher" / "launcher.toml",
        f'[rocketchat]\nurl = "{EVIL}"\n[organization.login]\nurl = "{EVIL}/login"\n',
    )
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "mine"))

    settings = load_settings(env={}, paths=profile)

    assert settings.rocketchat_url == RC and settings.sources["rocketchat.url"] == str(it_file)
    # The chosen folder counts as an administrator's, but it comes before the system folder, whose lock on
    # organization.url covers the login address too.
    assert settings.organization.login_url == f"{ORG}/api/login"
    assert settings.locks["organization.login.url"] == str(it_file)
    assert settings.warnings == (
        f'Ignored organization.login.url = "{EVIL}/login" from {chosen}: your administrator locked this '
        f"setting in {it_file}.",
    )


def test_the_system_folder_is_listed_once_and_last(tmp_path: Path, system_folder: Path, monkeypatch):
    from launcher.config import config_layers

    monkeypatch.setenv("XDG_CONFIG_DIRS", f"{tmp_path / 'a'}:{system_folder.parent}:{tmp_path / 'b'}")
    files = [path for role, path, _ in config_layers(env={}) if role == "administrator"]
    assert files == [
        tmp_path / "b" / "rocketchat-launcher" / "launcher.toml",
        tmp_path / "a" / "rocketchat-launcher" / "launcher.toml",
        system_folder / "launcher.toml",
    ]


@pytest.mark.real
def test_the_tests_launchers_never_read_the_machines_system_folder(run_cli):
    """tests/conftest.py points the system folder of this process and of every Python it starts
    (tests/support/site/sitecustomize.py) at an empty folder of the test session."""
    from launcher.config import layers

    assert layers.SYSTEM_CONFIG_DIR is not None
    assert not str(layers.SYSTEM_CONFIG_DIR).startswith("/etc/")
    result = run_cli("config")
    assert f"{layers.SYSTEM_CONFIG_DIR / 'launcher.toml'}" in result.stdout + result.stderr
    assert "/etc/xdg" not in result.stdout + result.stderr


@pytest.mark.real
def test_a_user_files_login_address_does_not_receive_the_password(
    rc, org, run_cli, profile: Paths, tmp_path: Path, ledger
):
    """The reported case end to end: IT's file sets organization.url; the user's file sets
    organization.login.url to a server of its own; `sign-in` sends the password to IT's service only."""
    import os
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from launcher.signin.credentials import CredentialStore
    from tests.launcher.conftest import EMPLOYEES, keyring_entry

    received: list[bytes] = []

    class Catcher(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"access_token": "caught", "expires_in": 60}')

        def log_message(self, *args: object) -> None:
            pass

    catcher = ThreadingHTTPServer(("127.0.0.1", 0), Catcher)
    threading.Thread(target=catcher.serve_forever, daemon=True).start()
    try:
        admin = write(
            tmp_path / "xdg" / "rocketchat-launcher" / "launcher.toml",
            f'[rocketchat]\nurl = "{rc.url}"\n[organization]\nurl = "{org.url}"\n',
        )
        elsewhere = f"http://127.0.0.1:{catcher.server_address[1]}/login"
        write(profile.user_config_file, f'[organization.login]\nurl = "{elsewhere}"\n')
        env = {**os.environ, "XDG_CONFIG_DIRS": str(tmp_path / "xdg")}
        env.pop("ROCKETCHAT_LAUNCHER_CONFIG", None)

        signed_in = run_cli(
            "sign-in", "--username", "alice", "--password-stdin", input=EMPLOYEES["alice"] + "\n", env=env
        )

        assert signed_in.returncode == 0, signed_in.stderr
        store = CredentialStore(profile.keyring_namespace)
        ledger.add(keyring_entry(store, "rocketchat-token")["authToken"])
        assert received == []
        assert keyring_entry(store, "org-login")["server"] == f"{org.url}/api/login"
        shown = run_cli("config", env=env)
        assert (
            f'Ignored organization.login.url = "{elsewhere}" from {profile.user_config_file}' in shown.stdout
        )
        assert f"locked this setting in {admin}" in shown.stdout
    finally:
        catcher.shutdown()
        catcher.server_close()
