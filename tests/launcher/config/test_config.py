"""Layered configuration: precedence, sources, and one clear sentence for every bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from launcher.config import KEYS, load_settings
from launcher.errors import ConfigError
from launcher.paths import Paths

RC = "https://chat.example.com"
ORG = "https://sso.example.com"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load(profile: Paths, **kwargs):
    kwargs.setdefault("env", {})
    kwargs.setdefault("site_config_dirs", [])
    return load_settings(paths=profile, **kwargs)


def test_defaults_follow_the_token_service_contract(profile: Paths):
    settings = load(profile, cli={"rocketchat.url": RC + "/", "organization.url": ORG})

    assert settings.rocketchat_url == RC
    assert settings.rocketchat_origin == RC
    assert settings.mode == "organization"
    assert settings.login_strategy == "auto"
    assert settings.remember_me_default is True
    api = settings.organization
    assert (api.login_url, api.token_url, api.logout_url) == (
        f"{ORG}/api/login",
        f"{ORG}/api/rocketchat/token",
        f"{ORG}/api/logout",
    )
    assert (api.login_method, api.login_body, api.username_field, api.password_field) == (
        "POST",
        "json",
        "username",
        "password",
    )
    assert (api.session, api.session_token_path, api.auth_token_path, api.user_id_path) == (
        "bearer",
        "access_token",
        "authToken",
        "userId",
    )
    assert settings.sources["rocketchat.url"] == "command line"
    assert settings.sources["organization.login.url"] == "built-in default"


def test_layers_apply_in_order_and_administrators_win(profile: Paths, tmp_path: Path):
    write(
        profile.user_config_file,
        f'login_strategy = "resume-token"\n[rocketchat]\nurl = "{RC}"\n[organization]\nurl = "{ORG}"\n'
        'name = "User Corp"\n',
    )
    site_low, site_high = tmp_path / "xdg-low", tmp_path / "xdg-high"
    write(
        site_low / "launcher.toml", '[organization]\nname = "Low Admin Corp"\n[network]\nread_timeout = 20\n'
    )
    write(site_high / "launcher.toml", '[organization]\nname = "Admin Corp"\n')
    exe_file = write(tmp_path / "exe" / "launcher.toml", "[network]\nconnect_timeout = 3\n")
    env_file = write(tmp_path / "env.toml", "remember_me_default = false\n[network]\nconnect_timeout = 4\n")
    flag_file = write(
        tmp_path / "flag.toml", 'mode = "organization"\n[rocketchat]\nurl = "https://other.example.com"\n'
    )

    settings = load(
        profile,
        env={"ROCKETCHAT_LAUNCHER_CONFIG": str(env_file)},
        site_config_dirs=[site_high, site_low],  # the first listed wins (XDG_CONFIG_DIRS order)
        exe_dir=exe_file.parent,
        config_file=flag_file,
        cli={"rocketchat.url": "https://cli.example.com"},
    )

    assert settings.organization_name == "Admin Corp"
    assert settings.sources["organization.name"] == str(site_high / "launcher.toml")
    assert settings.read_timeout == 20.0
    # network.* set by an administrator's file is locked: the env file's 4 is ignored (test_config_locks.py)
    assert settings.connect_timeout == 3.0
    assert settings.sources["network.connect_timeout"] == str(exe_file)
    assert settings.remember_me_default is False
    assert settings.login_strategy == "resume-token"
    assert settings.sources["login_strategy"] == str(profile.user_config_file)
    assert settings.sources["mode"] == str(flag_file)
    assert settings.rocketchat_url == "https://cli.example.com"
    assert settings.sources["rocketchat.url"] == "command line"


def test_missing_configuration_says_where_to_put_the_address(profile: Paths):
    with pytest.raises(ConfigError) as caught:
        load(profile)
    assert str(caught.value) == (
        "No Rocket.Chat address is configured: set rocketchat.url (for example rocketchat.url = "
        f'"https://chat.example.com" under [rocketchat]) in {profile.user_config_file}, or ask your IT '
        "department for the launcher's configuration file."
    )


def test_missing_organization_address(profile: Paths):
    with pytest.raises(ConfigError) as caught:
        load(profile, cli={"rocketchat.url": RC})
    assert str(caught.value) == (
        "No organization sign-in service is configured: set organization.url (the address of your "
        f'organization\'s token service) in {profile.user_config_file}, or set mode = "rocketchat" to sign '
        "in with Rocket.Chat's own login."
    )
    assert load(profile, cli={"rocketchat.url": RC, "mode": "rocketchat"}).organization is None


def test_malformed_toml_names_the_file_and_the_place(profile: Paths):
    write(profile.user_config_file, '[rocketchat]\nurl = "https://chat.example.com\n')
    with pytest.raises(ConfigError) as caught:
        load(profile)
    message = str(caught.value)
    assert message.startswith(f"The configuration file {profile.user_config_file} is not valid TOML (")
    assert "line 2" in message
    assert message.endswith("; fix the file or remove it.")


def test_unknown_key_is_an_error_with_a_suggestion(profile: Paths):
    write(
        profile.user_config_file, f'[rocketchat]\nurl = "{RC}"\n[organization]\nurl = "{ORG}"\nnmae = "X"\n'
    )
    with pytest.raises(ConfigError) as caught:
        load(profile)
    assert str(caught.value) == (
        f'Unknown key "organization.nmae" in {profile.user_config_file}; did you mean "organization.name"?'
    )
    assert caught.value.key == "organization.nmae"


def test_key_in_the_wrong_table_is_pointed_to_the_right_one(profile: Paths):
    write(profile.user_config_file, f'[rocketchat]\nurl = "{RC}"\nca_file = "/etc/ca.pem"\n')
    with pytest.raises(ConfigError) as caught:
        load(profile)
    assert str(caught.value) == (
        f'Unknown key "rocketchat.ca_file" in {profile.user_config_file}; did you mean "network.ca_file"?'
    )


def test_unknown_key_without_a_close_match(profile: Paths):
    write(profile.user_config_file, f'colour = "blue"\n[rocketchat]\nurl = "{RC}"\n')
    with pytest.raises(ConfigError) as caught:
        load(profile)
    assert str(caught.value) == (
        f'Unknown key "colour" in {profile.user_config_file}; remove it or check the spelling.'
    )


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://chat.example.com", False),
        ("http://10.0.0.5:3000", False),
        ("ftp://chat.example.com", False),
        ("http://localhost:3000", True),
        ("http://127.0.0.1:3000", True),
        ("http://[::1]:3000", True),
        ("https://chat.example.com/sub/path/", True),
    ],
)
def test_plain_http_only_for_localhost(profile: Paths, url: str, allowed: bool):
    write(profile.user_config_file, f'mode = "rocketchat"\n[rocketchat]\nurl = "{url}"\n')
    if allowed:
        assert load(profile).rocketchat_url == url.rstrip("/")
        return
    with pytest.raises(ConfigError) as caught:
        load(profile)
    expected = (
        "an https:// address (http:// is accepted only for localhost, 127.0.0.1 and ::1)"
        if url.startswith("http:")
        else "an https:// address such as https://chat.example.com"
    )
    assert str(caught.value) == (
        f'Invalid setting rocketchat.url = "{url}" in {profile.user_config_file}: expected {expected}.'
    )


def test_bad_values_name_file_key_value_and_expectation(profile: Paths):
    cases = {
        'mode = "ldap"': 'Invalid setting mode = "ldap" in {f}: expected one of "organization", "rocketchat".',
        "remember_me_default = 1": "Invalid setting remember_me_default = 1 in {f}: expected true or false.",
        "[network]\nread_timeout = -1": (
            "Invalid setting network.read_timeout = -1 in {f}: expected a number of seconds greater than 0 "
            "and at most 600."
        ),
        '[network]\nca_file = "missing.pem"': (
            'Invalid setting network.ca_file = "missing.pem" in {f}: expected the path of an existing file '
            "(a PEM file of CA certificates)."
        ),
        '[organization.token]\nauth_token_path = "data..token"': (
            'Invalid setting organization.token.auth_token_path = "data..token" in {f}: expected a dotted '
            'path into the JSON answer, such as "data.authToken".'
        ),
        "rocketchat = 5": (
            "Invalid setting rocketchat = 5 in {f}: expected a table [rocketchat] holding keys such as "
            "rocketchat.url."
        ),
    }
    for text, expected in cases.items():
        write(profile.user_config_file, text + "\n")
        with pytest.raises(ConfigError) as caught:
            load(profile, cli={"rocketchat.url": RC, "organization.url": ORG})
        assert str(caught.value) == expected.format(f=profile.user_config_file), text


def test_command_line_url_is_checked_too(profile: Paths):
    with pytest.raises(ConfigError) as caught:
        load(profile, cli={"rocketchat.url": "http://chat.example.com"})
    assert str(caught.value) == (
        'Invalid setting rocketchat.url = "http://chat.example.com" in the command line (--rocketchat-url): '
        "expected an https:// address (http:// is accepted only for localhost, 127.0.0.1 and ::1)."
    )


def test_named_file_that_does_not_exist(profile: Paths, tmp_path: Path):
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as caught:
        load(profile, env={"ROCKETCHAT_LAUNCHER_CONFIG": str(missing)})
    assert str(caught.value) == (
        f"The configuration file {missing} (given by ROCKETCHAT_LAUNCHER_CONFIG) does not exist; check the path."
    )
    with pytest.raises(ConfigError) as caught:
        load(profile, config_file=missing)
    assert (
        str(caught.value)
        == f"The configuration file {missing} (given by --config) does not exist; check the path."
    )


def test_relative_paths_are_relative_to_their_file(profile: Paths, tmp_path: Path):
    logo = write(tmp_path / "admin" / "logo.svg", "<svg/>")
    admin = write(tmp_path / "admin" / "launcher.toml", f'[organization]\nlogo = "logo.svg"\nurl = "{ORG}"\n')

    settings = load(profile, config_file=admin, cli={"rocketchat.url": RC})

    assert settings.organization_logo == logo


def test_every_key_has_help_and_a_checked_default():
    for spec in KEYS.values():
        assert spec.help.endswith(".") and len(spec.help) > 10, spec.name
        if spec.default not in (None, ""):
            assert spec.check(spec.default, None) == spec.default, spec.name


@pytest.mark.real
def test_config_command_prints_values_and_sources(run_cli, profile: Paths):
    write(profile.user_config_file, f'[rocketchat]\nurl = "{RC}"\n[organization]\nurl = "{ORG}"\n')

    result = run_cli("config")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert f'rocketchat.url                        = "{RC}"    # {profile.user_config_file}' in lines
    assert 'organization.login.url                = "/api/login"    # built-in default' in lines
    assert f"  user: {profile.user_config_file} (found)" in lines


@pytest.mark.real
def test_config_command_with_a_bad_file_exits_1_with_the_message(run_cli, profile: Paths):
    write(profile.user_config_file, '[rocketchat]\nurll = "x"\n')

    result = run_cli("config")

    assert result.returncode == 1
    assert result.stderr.strip() == (
        f'Unknown key "rocketchat.urll" in {profile.user_config_file}; did you mean "rocketchat.url"?'
    )
    assert "Traceback" not in result.stderr


@pytest.mark.real
def test_config_command_lists_what_is_set_then_says_what_is_missing(run_cli, profile: Paths):
    result = run_cli("config")

    assert result.returncode == 1
    assert "rocketchat.url                        = (not set)    # built-in default" in result.stdout
    assert result.stderr.startswith("No Rocket.Chat address is configured: set rocketchat.url")


def test_call_origins_are_read_as_pages_report_them(profile: Paths):
    """Issue 31 (info): typed with the default port, in capitals or with a non-ASCII host, a call origin
    never matched, since a page's origin has no default port and an ASCII (punycode) host."""
    from qtpy.QtCore import QUrl

    from launcher.origins import origin_of

    typed = [
        "https://Meet.Example.com:443",
        "https://bücher.example/",
        "https://münchen.de:443",
        "http://localhost:80",
        "https://meet.example.com:8443",
    ]
    write(profile.user_config_file, f"[video_conference]\norigins = {typed!r}\n".replace("'", '"'))
    settings = load(profile, cli={"rocketchat.url": RC, "mode": "rocketchat"})

    assert settings.video_conference_origins == [
        "https://meet.example.com",
        "https://xn--bcher-kva.example",
        "https://xn--mnchen-3ya.de",
        "http://localhost",
        "https://meet.example.com:8443",
    ]
    # What the window compares them with (pop-ups and permissions): origin_of the page's address as Qt
    # gives it, which shows some hosts (.de among them) in Unicode and others in punycode.
    for page in (
        "https://meet.example.com/room",
        "https://xn--bcher-kva.example/room",
        "https://münchen.de/room",
        "https://meet.example.com:8443/r",
    ):
        shown = QUrl(page).toString()
        assert origin_of(shown) in settings.video_conference_origins, shown
